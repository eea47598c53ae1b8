# SPDX-License-Identifier: GPL-3.0-or-later
"""Privacy: everything the club holds about a member (`export`, as JSON and as a readable PDF), their
marketing consent with its date (`set_consent`), and erasure (`erase`).

Where a member's personal data lives (what erasure must reach):

Server
- `member`: name, phone, birth date, national id (last 4 digits only), marketing consent. Erasure writes the
  placeholders of `sync.protocol.WireMember.erased` (name "—", phone "erased", the rest empty) and
  `erased_at_us`; id, tier, branch, join time, referrer and balances stay (they are the ledger's).
- `photo` (the JPEG bytes, keyed by SHA-256, with the member it was uploaded for) and `member_photo` (the
  member's current photo): both deleted; a blob another member also uses stays theirs.
- `change`, the log terminals pull: every `member` change ever published for the member carries the record
  as it was then, so a terminal pulling from an old cursor would get the old name and phone back. Those
  bodies are rewritten to the erased record (same sequence numbers), and the member's `member_photo`
  changes become that record too (the photo is gone; its hash would only send terminals looking for it).
- `sync_item`: the member items terminals pushed keep the record as sent (idempotency): rewritten to the
  erased record; a retry of such an item is answered `member_erased` (sync.server.push), not a conflict.
- `audit_log` and `alert`: details and targets may hold the name or phone (a terminal's enrolment is
  audited with them, a duplicate phone is alerted with it, an office search is audited with what was typed).
  In rows about the member (target, member id, or naming the id) the personal fields are "[erased]"; in any
  row, the member's exact name, phone (in any of its spellings) and birth date become "[erased]".
- `ledger_entry`, `rejected_entry`, the `entry` and `entry_set_aside` changes: entries hold no personal data
  by design: a member id (a random UUID that names no one once the member row is erased), amounts, kinds,
  invoice numbers, event ids, bonus keys (`birthday:<year>` is the year of the bonus, not of birth), tier
  codes. They are hash-chained and signed by their devices' chains, so they are never touched, and every
  chain still verifies. Two things are not data the club controls by design: a reason staff type for a
  correction (free text), and the day of a birthday bonus (near the birthday). Erasure reports the entries
  whose reason names the member (`entries_naming_member`): the ledger keeps them, the club knows of them.
- `card`: numbers and chip UIDs, no name; every card of the member is revoked with the reason "erased", so a
  tapped card is refused as revoked. A card written with *profile on card* (app.cards.payload) carries the
  name, birth date and a small photo, signed, on the chip in the member's hands: no server can erase that;
  the revocation refuses it everywhere.
- `card_tap`: where and when the member's chip cards were tapped (branch, terminal, time, the chip's read
  counter), kept for clone detection (sync.server.card_taps): in the export, and deleted by erasure (the
  cards are revoked, so there is nothing left to tell a clone from).
- `invitation`, `spend_grant`, `current_grant`, `member_balance`: ids and numbers only; kept.

Terminal (app.store): `member` (name, phone, birth date, national id last 4), `member_photo` (the JPEG: the
photo lives in the SQLite file, not on disk), `photo_wanted`, the outbox's member items (the record as
enrolled) and the file's free pages and write-ahead log. A terminal applies the erased record when it pulls
it (app.store.replica), whatever its outbox still holds, drops the photo, rewrites its outbox copies, and
clears what deleted data the file still holds (secure_delete, then a WAL checkpoint that truncates).
Older terminals overwrite name, phone, birth date and national id with the placeholders too (the record
is the wire format they read) and keep the photo until they are upgraded (terminal migration 0009).

Receipts the cashier saved as PDF, and backups of either database, are outside what this can reach.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Connection, delete, or_, select, update

from app.domain.ids import uuid7
from app.domain.ledger import EntryKind, clean_reason
from sync.protocol import WireMember, WireRevocation
from sync.server import club, members
from sync.server.club import act
from sync.server.club.access import Permission
from sync.server.errors import ApiError
from sync.server.messages import outbox
from sync.server.models import (
    ALERT,
    AUDIT,
    BALANCE,
    CARD,
    CARD_TAP,
    CHANGE,
    ENTRY,
    EVENT,
    GRANT,
    INVITATION,
    ITEM,
    MEMBER,
    MEMBER_PHOTO,
    PHOTO,
    PORTAL_SESSION,
    REJECTED,
    REVOCATION,
)

ERASED = "[erased]"
ERASED_REASON = "erased"  # the revocation reason of an erased member's cards
EXPORT_FORMAT = "bashgah-member-export"
EXPORT_VERSION = 1
# fields that are a person's data wherever they stand in a row about the member
PERSONAL_KEYS = frozenset({"name", "phone", "birth_date", "national_id", "national_id_last4"})
_CHECK_IN_KINDS = (EntryKind.CHECK_IN.value, EntryKind.GUEST_CHECK_IN.value)


def _member_row(conn: Connection, member_id: str) -> Any:
    row = conn.execute(select(MEMBER).where(MEMBER.c.id == member_id)).first()
    if row is None:
        raise ApiError(404, "unknown_member", "no such member")
    return row


# ---- export --------------------------------------------------------------------------------------


def export(call: act.Call, member_id: str) -> dict[str, Any]:
    """Everything the club holds about the member, as JSON-able data (audited as `member.export`)."""
    return act.read(
        call,
        "member.export",
        member_id,
        lambda conn: collect(conn, member_id, call.now_us),
        permission=Permission.PRIVACY,
    )


def export_pdf(call: act.Call, member_id: str) -> bytes:
    """The same, as a readable PDF (Persian shaped, right to left; audited as `member.export_pdf`)."""
    from sync.server import privacy_pdf  # fpdf2 is loaded only by those who ask for a PDF

    def work(conn: Connection) -> tuple[dict[str, Any], dict[str, str]]:
        return collect(conn, member_id, call.now_us), club.settings(conn)

    data, settings = act.read(call, "member.export_pdf", member_id, work, permission=Permission.PRIVACY)
    names = (settings.get("club_name_fa", "باشگاه"), settings.get("club_name_en", "Bashgah"))
    return privacy_pdf.render(data, club_names=names)


def collect(conn: Connection, member_id: str, now_us: int) -> dict[str, Any]:
    """The export's content, read in the caller's snapshot."""
    row = _member_row(conn, member_id)
    profile = {k: _plain(v) for k, v in row._mapping.items()}
    entries = [
        {k: _plain(v) for k, v in e._mapping.items()}
        for e in conn.execute(
            select(ENTRY).where(ENTRY.c.member_id == member_id).order_by(ENTRY.c.created_at_us, ENTRY.c.id)
        )
    ]
    cards = members.cards_of(conn, member_id)
    numbers = [c["number"] for c in cards]
    revocations = (
        conn.execute(
            select(REVOCATION).where(REVOCATION.c.card_number.in_(numbers)).order_by(REVOCATION.c.at_us)
        )
        if numbers
        else []
    )
    by_card: dict[str, list[dict[str, Any]]] = {n: [] for n in numbers}
    for r in revocations:
        by_card[r.card_number].append(
            {k: _plain(v) for k, v in r._mapping.items() if k not in ("card_number", "member_id")}
        )
    balance = conn.execute(select(BALANCE).where(BALANCE.c.member_id == member_id)).first()
    photo = conn.execute(select(MEMBER_PHOTO).where(MEMBER_PHOTO.c.member_id == member_id)).first()
    events = {r.id: r.name for r in conn.execute(select(EVENT.c.id, EVENT.c.name))}
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at_us": now_us,
        "member": {
            k: v for k, v in profile.items() if k not in ("consent_marketing", "consent_marketing_at_us")
        },
        "consent": {
            "marketing": bool(row.consent_marketing),
            "since_us": row.consent_marketing_at_us,
            "given_at": row.consent_marketing_source,  # terminal, back_office, sms_stop, email_unsubscribe
        },
        # the server's own contact data for messages (terminals never hold it)
        "contact": {"email": row.email, "preferred_channel": row.preferred_channel, "language": row.language},
        "erased_at_us": row.erased_at_us,
        "balance": None
        if balance is None
        else {k: _plain(v) for k, v in balance._mapping.items() if k not in ("member_id", "lock_version")},
        "tier_history": [
            {
                "at_us": e["created_at_us"],
                "tier": e["invoice_ref"],
                "reason": e["reason"],
                "entry_id": e["id"],
            }
            for e in entries
            if e["kind"] == EntryKind.TIER_CHANGE.value
        ],
        "cards": [
            {k: _plain(v) for k, v in c.items()} | {"revocations": by_card[c["number"]]} for c in cards
        ],
        "ledger": entries,
        "set_aside_entries": _set_aside(conn, member_id),
        "messages": outbox.member_messages(conn, member_id),  # SMS and email sent or to go (issue 17)
        "invitations": [
            {k: _plain(v) for k, v in r._mapping.items()} | {"event_name": events.get(r.event_id)}
            for r in conn.execute(
                select(INVITATION)
                .where(INVITATION.c.member_id == member_id)
                .order_by(INVITATION.c.updated_at_us)
            )
        ],
        "card_taps": [
            {k: _plain(v) for k, v in t._mapping.items() if k != "member_id"}
            for t in conn.execute(
                select(CARD_TAP).where(CARD_TAP.c.member_id == member_id).order_by(CARD_TAP.c.used_at_us)
            )
        ],
        "check_ins": [
            {
                "at_us": e["created_at_us"],
                "event_id": e["invoice_ref"],
                "event_name": events.get(e["invoice_ref"] or ""),
                "guest": e["kind"] == EntryKind.GUEST_CHECK_IN.value,
                "entry_id": e["id"],
            }
            for e in entries
            if e["kind"] in _CHECK_IN_KINDS
        ],
        "photo": None
        if photo is None
        else {"sha256": photo.sha256, "size": photo.size, "set_at_us": photo.set_at_us},
        "grants": [
            {k: _plain(v) for k, v in g._mapping.items() if k not in ("member_id", "signature")}
            for g in conn.execute(
                select(GRANT).where(GRANT.c.member_id == member_id).order_by(GRANT.c.issued_at_us)
            )
        ],
        "referred_members": sorted(
            conn.execute(select(MEMBER.c.id).where(MEMBER.c.referrer_id == member_id)).scalars()
        ),
        "alerts": [
            {k: _plain(v) for k, v in a._mapping.items()} | {"detail": _json(a.detail)}
            for a in conn.execute(
                select(ALERT).where(_alerts_about(member_id)).order_by(ALERT.c.at_us, ALERT.c.id)
            )
        ],
        "audit": [
            {k: _plain(v) for k, v in a._mapping.items()} | {"detail": _json(a.detail)}
            for a in conn.execute(
                select(AUDIT)
                .where(AUDIT.c.target.in_([member_id, *numbers]))
                .order_by(AUDIT.c.at_us, AUDIT.c.id)
            )
        ],
    }


def _set_aside(conn: Connection, member_id: str) -> list[dict[str, Any]]:
    """The member's entries the server set aside (for review): stored as received, so found by their body."""
    rows = conn.execute(
        select(REJECTED)
        .where(REJECTED.c.body.contains(f'"member_id":"{member_id}"', autoescape=True))
        .order_by(REJECTED.c.received_at_us, REJECTED.c.id)
    )
    return [{"entry": _json(r.body), "reason": r.reason, "received_at_us": r.received_at_us} for r in rows]


def _alerts_about(member_id: str) -> Any:
    return or_(ALERT.c.member_id == member_id, ALERT.c.detail.contains(member_id, autoescape=True))


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


# ---- consent -------------------------------------------------------------------------------------


def set_consent(
    call: act.Call, member_id: str, consent: bool, *, source: str = "back_office"
) -> dict[str, Any]:
    """Give or withdraw the member's marketing consent, dated now, with where (`source`: "back_office" for
    head office, the back office and the admin API; "member_page" for the member themselves); published
    so terminals show it."""

    def work(a: act.Act) -> dict[str, Any]:
        row = _member_row(a.conn, member_id)
        if row.erased_at_us is not None:
            raise ApiError(409, "member_erased", "this member's personal data was erased")
        a.before = {"consent_marketing": bool(row.consent_marketing), "since_us": row.consent_marketing_at_us}
        a.conn.execute(
            update(MEMBER)
            .where(MEMBER.c.id == member_id)
            .values(
                consent_marketing=consent,
                consent_marketing_at_us=a.now_us,
                consent_marketing_source=source,
                updated_at_us=a.now_us,
            )
        )
        wire = members.wire_member(row).model_copy(update={"consent_marketing": consent})
        _publish(a, wire)
        a.after = {"consent_marketing": consent, "since_us": a.now_us, "source": source}
        return {"member_id": member_id, "consent_marketing": consent, "consent_marketing_at_us": a.now_us}

    return act.change(call, Permission.MEMBER_EDIT, "member.consent", member_id, work)


def _publish(a: act.Act, member: WireMember) -> None:
    a.pub.change("member", {"kind": "member", "member": member.model_dump(mode="json")}, member_id=member.id)


# ---- erasure -------------------------------------------------------------------------------------


def erase(call: act.Call, member_id: str, why: str) -> dict[str, Any]:
    """Erase the member's personal data everywhere the server holds it (see the module's docstring) and
    publish the erased record, so every terminal erases it at its next pull. The ledger is not touched."""
    reason = clean_reason(why)

    def work(a: act.Act) -> dict[str, Any]:
        row = _member_row(a.conn, member_id)
        if row.erased_at_us is not None:
            raise ApiError(409, "member_erased", "this member's personal data was erased already")
        person = members.wire_member(row)
        secrets = identifying_strings(person)
        erased = person.erased()
        naming = _entries_naming(a.conn, member_id, secrets)
        revoked = _revoke_cards(a, member_id)
        # a phone's label is the member's own words ("Sara's Pixel"); the member page's sessions end
        a.conn.execute(update(CARD).where(CARD.c.member_id == member_id).values(label=None))
        a.conn.execute(
            update(PORTAL_SESSION)
            .where(PORTAL_SESSION.c.member_id == member_id, PORTAL_SESSION.c.ended_at_us.is_(None))
            .values(ended_at_us=a.now_us)
        )
        photos = _delete_photos(a.conn, member_id)
        taps = a.conn.execute(delete(CARD_TAP).where(CARD_TAP.c.member_id == member_id)).rowcount
        a.conn.execute(
            update(MEMBER)
            .where(MEMBER.c.id == member_id)
            .values(
                **{
                    k: v for k, v in erased.model_dump().items() if k in PERSONAL_KEYS | {"consent_marketing"}
                },
                consent_marketing_at_us=a.now_us,
                consent_marketing_source=None,  # where consent came from is about the person too
                email=None,  # the server's own contact data (sync.server.club.messages) goes too
                preferred_channel="sms",
                language="fa",
                erased_at_us=a.now_us,
                updated_at_us=a.now_us,
                name_key="",  # the search's keys are the name and phone too (sync.server.club.members)
                phone_rev="",
            )
        )
        body = {"kind": "member", "member": erased.model_dump(mode="json")}
        changes = _scrub_changes(a.conn, member_id, body)
        _publish(a, erased)
        result = {
            "member_id": member_id,
            "erased_at_us": a.now_us,
            "cards_revoked": revoked,
            "photos_deleted": photos,
            "card_taps_deleted": taps,
            "changes_rewritten": changes,
            "items_rewritten": _scrub_items(a.conn, member_id, erased, secrets),
            "audit_rows_scrubbed": _scrub_audit(a.conn, member_id, secrets),
            "alerts_scrubbed": _scrub_alerts(a.conn, member_id, secrets),
            "messages_emptied": outbox.erase_member(a.conn, member_id, a.now_us),
            "entries_naming_member": naming,
        }
        # the erasure's own audit row holds no personal data: counts, and the reason with the person scrubbed
        a.before = {"had_photo": photos > 0, "cards": len(revoked)}
        a.after = {k: v for k, v in result.items() if k != "member_id"}
        a.detail["why"] = _scrub_text(reason, secrets)
        return result

    return act.change(call, Permission.PRIVACY, "member.erase", member_id, work)


def identifying_strings(member: WireMember) -> list[str]:
    """What identifies the member wherever it is written as text: the name, the phone in the spellings
    people type (+98912…, 0912…, 912…) and the birth date. Longest first: a longer one is replaced whole."""
    found = {member.name, member.phone}
    if member.phone.startswith("+98"):
        national = member.phone[3:]
        found |= {"0" + national, national}
    if member.birth_date is not None:
        found.add(member.birth_date.isoformat())
    # too short to stand for a person (a one-letter name would blank half the log)
    return sorted((s for s in found if len(s.strip()) >= 3), key=len, reverse=True)


def _scrub_text(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, ERASED)
    return text


def scrub_value(value: Any, secrets: list[str], *, about_member: bool) -> Any:
    """A JSON value with the member's identifying strings replaced; in a row about the member, every
    personal field too (whatever it held: an earlier name, a phone since changed)."""
    if isinstance(value, dict):
        return {
            k: ERASED
            if about_member and k in PERSONAL_KEYS and v not in (None, "")
            else scrub_value(v, secrets, about_member=about_member)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [scrub_value(v, secrets, about_member=about_member) for v in value]
    if isinstance(value, str):
        return _scrub_text(value, secrets)
    return value


def _dumps(value: Any) -> str:
    # as sync.server.alerts writes details
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _mentions(column: Any, needles: Iterable[str]) -> Any:
    return or_(*(column.contains(n, autoescape=True) for n in needles))


def _entries_naming(conn: Connection, member_id: str, secrets: list[str]) -> list[str]:
    """Ids of the member's entries (counted or set aside) whose free text names them: kept, reported."""
    if not secrets:
        return []
    counted = conn.execute(
        select(ENTRY.c.id).where(
            ENTRY.c.member_id == member_id,
            or_(_mentions(ENTRY.c.reason, secrets), _mentions(ENTRY.c.invoice_ref, secrets)),
        )
    ).scalars()
    aside = conn.execute(
        select(REJECTED.c.id).where(
            REJECTED.c.body.contains(f'"member_id":"{member_id}"', autoescape=True),
            _mentions(REJECTED.c.body, secrets),
        )
    ).scalars()
    return sorted({*counted, *aside})


def _revoke_cards(a: act.Act, member_id: str) -> list[str]:
    """Revoke every card of the member not revoked yet (a lost one too: its reason becomes the erasure)."""
    live = select(CARD.c.number).where(CARD.c.member_id == member_id, CARD.c.status != "revoked")
    numbers = a.conn.execute(live.order_by(CARD.c.number)).scalars().all()
    for number in numbers:
        revocation = WireRevocation(
            id=str(uuid7(a.now_us // 1000, os.urandom(10))),
            card_number=number,
            status="revoked",
            reason=ERASED_REASON,
            staff_id=None,
            at_us=a.now_us,
        )
        members.revoke(a.conn, a.pub, revocation)
    return list(numbers)


def _delete_photos(conn: Connection, member_id: str) -> int:
    """Delete the member's photo link and every photo blob uploaded for them or that is theirs; a blob
    another member's photo is too stays, as theirs. Returns the number of blobs deleted."""
    current = conn.execute(
        select(MEMBER_PHOTO.c.sha256).where(MEMBER_PHOTO.c.member_id == member_id)
    ).scalar_one_or_none()
    conn.execute(delete(MEMBER_PHOTO).where(MEMBER_PHOTO.c.member_id == member_id))
    shas = set(conn.execute(select(PHOTO.c.sha256).where(PHOTO.c.member_id == member_id)).scalars())
    if current is not None:
        shas.add(current)
    deleted = 0
    for sha in sorted(shas):
        other = conn.execute(
            select(MEMBER_PHOTO.c.member_id).where(MEMBER_PHOTO.c.sha256 == sha).limit(1)
        ).scalar_one_or_none()
        if other is None:
            deleted += conn.execute(delete(PHOTO).where(PHOTO.c.sha256 == sha)).rowcount
        else:
            conn.execute(update(PHOTO).where(PHOTO.c.sha256 == sha).values(member_id=other))
    return deleted


def _scrub_changes(conn: Connection, member_id: str, erased_body: dict[str, Any]) -> int:
    """Rewrite the member's published records in the change log to the erased one (and their photo changes
    with it), keeping their sequence numbers: a terminal pulling from an old cursor meets only the erased."""
    body = json.dumps(erased_body, ensure_ascii=False, separators=(",", ":"))  # as sync.server.sequence
    return int(
        conn.execute(
            update(CHANGE)
            .where(CHANGE.c.member_id == member_id, CHANGE.c.kind.in_(("member", "member_photo")))
            .values(kind="member", body=body)
        ).rowcount
    )


def _canonical(data: dict[str, Any]) -> str:
    # as sync.server.push stores an item's body
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _scrub_items(conn: Connection, member_id: str, erased: WireMember, secrets: list[str]) -> int:
    """The member items terminals pushed (the record as sent) become the erased record; any other pushed
    item naming the member's identifying strings (a revocation's reason) has them replaced."""
    wanted = [ITEM.c.body.contains(member_id, autoescape=True)]
    if secrets:
        wanted.append(_mentions(ITEM.c.body, secrets))
    rows = conn.execute(select(ITEM.c.id, ITEM.c.kind, ITEM.c.body).where(or_(*wanted))).all()
    changed = 0
    for row in rows:
        data = _json(row.body)
        if not isinstance(data, dict):
            continue
        member = data.get("member")
        if row.kind == "member" and isinstance(member, dict) and member.get("id") == member_id:
            new = data | {"member": erased.model_dump(mode="json")}
        else:
            new = scrub_value(data, secrets, about_member=False)
        text = _canonical(new)
        if text != row.body:
            conn.execute(update(ITEM).where(ITEM.c.id == row.id).values(body=text))
            changed += 1
    return changed


def _scrub_audit(conn: Connection, member_id: str, secrets: list[str]) -> int:
    """Audit rows about the member (or one of its cards) lose its personal fields; every row its
    identifying strings."""
    about = [member_id, *conn.execute(select(CARD.c.number).where(CARD.c.member_id == member_id)).scalars()]
    wanted = [AUDIT.c.target.in_(about), AUDIT.c.detail.contains(member_id, autoescape=True)]
    if secrets:
        wanted += [_mentions(AUDIT.c.detail, secrets), _mentions(AUDIT.c.target, secrets)]
    changed = 0
    for row in conn.execute(select(AUDIT.c.id, AUDIT.c.target, AUDIT.c.detail).where(or_(*wanted))).all():
        is_about = row.target in about or member_id in row.detail
        detail = _json(row.detail)
        new_detail = (
            _dumps(scrub_value(detail, secrets, about_member=is_about))
            if isinstance(detail, dict)
            else row.detail
        )
        new_target = None if row.target is None else _scrub_text(row.target, secrets)
        if (new_detail, new_target) != (row.detail, row.target):
            conn.execute(
                update(AUDIT).where(AUDIT.c.id == row.id).values(detail=new_detail, target=new_target)
            )
            changed += 1
    return changed


def _scrub_alerts(conn: Connection, member_id: str, secrets: list[str]) -> int:
    wanted = [_alerts_about(member_id)] + ([_mentions(ALERT.c.detail, secrets)] if secrets else [])
    changed = 0
    for row in conn.execute(select(ALERT.c.id, ALERT.c.member_id, ALERT.c.detail).where(or_(*wanted))).all():
        is_about = row.member_id == member_id or member_id in row.detail
        detail = _json(row.detail)
        if not isinstance(detail, dict):
            continue
        new_detail = _dumps(scrub_value(detail, secrets, about_member=is_about))
        if new_detail != row.detail:
            conn.execute(update(ALERT).where(ALERT.c.id == row.id).values(detail=new_detail))
            changed += 1
    return changed
