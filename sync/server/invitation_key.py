# SPDX-License-Identifier: GPL-3.0-or-later
"""The server's own invitation key: it signs invitation QR codes (app.cards.invitation_qr) for guests who
come without a card.

Made on first need (app.cards.payload.generate_issuing_key) under a key id no club key has, so a door finds
it among the club keys it already pulls: its public half is a `club_key` row, published as a `club_key`
change like every terminal's card key. The private seed stays in `server_key`, a table nothing publishes
and the admin API never lists (a `setting` row would be both published and listed).

The only server module that imports app.cards: the invitation QR format is the terminal's, and one codec
on both ends means a code the server signs is one the door verifies.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from app.cards.invitation_qr import InvitationPass, invitation_qr_text, verify_invitation_qr
from app.cards.payload import IssuingKey, PayloadError, generate_issuing_key, issuing_key_from_private
from sync.protocol import WireEvent, WireInvitation, WireKey, b64decode, b64encode
from sync.server import club, events
from sync.server.admin_models import InvitationQr
from sync.server.errors import ApiError
from sync.server.models import COUNTER, SERVER_KEY
from sync.server.sequence import COUNTER_ID, Publisher

PURPOSE = "invitation"


def _current(conn: Connection) -> IssuingKey | None:
    row = conn.execute(
        select(SERVER_KEY.c.key_id, SERVER_KEY.c.private_key)
        .where(SERVER_KEY.c.purpose == PURPOSE, SERVER_KEY.c.retired_at_us.is_(None))
        .order_by(SERVER_KEY.c.key_id.desc())
        .limit(1)
    ).first()
    return None if row is None else issuing_key_from_private(row.key_id, b64decode(row.private_key))


def invitation_key(conn: Connection, pub: Publisher) -> IssuingKey:
    """The current invitation key, made (and its public half published) if the club has none yet."""
    key = _current(conn)
    if key is not None:
        return key
    # Take the counter row as enrolments do: key ids are handed out one at a time, and two first QR codes
    # asked at once make one key (the second waits here, then finds the first's).
    conn.execute(update(COUNTER).where(COUNTER.c.id == COUNTER_ID).values(value=COUNTER.c.value))
    key = _current(conn)
    if key is not None:
        return key
    key = generate_issuing_key(club.next_key_id(conn))
    conn.execute(
        SERVER_KEY.insert().values(
            key_id=key.key_id,
            purpose=PURPOSE,
            private_key=b64encode(key.private),
            created_at_us=pub.at_us,
        )
    )
    wire = WireKey(
        key_id=key.key_id, public_key=b64encode(key.public), created_at_us=pub.at_us, purpose=PURPOSE
    )
    club.put_key(conn, pub, wire, None)
    return key


def invitation_qr(conn: Connection, pub: Publisher, event_id: str, member_id: str) -> InvitationQr:
    """The member's invitation as a signed QR text (`BGI1:…`), valid until the event ends."""
    event = events.require_event(conn, event_id)
    invitation = events.get_invitation(conn, event_id, member_id)
    if invitation is None:  # members invited through their tier too: the code names an invitation
        raise ApiError(404, "unknown_invitation", "invite the member to this event by name first")
    if invitation.cancelled:
        raise ApiError(409, "invitation_cancelled", "the member's invitation is cancelled")
    return invitation_qrs(conn, pub, event, [invitation])[0]


def invitation_qrs(
    conn: Connection, pub: Publisher, event: WireEvent, invitations: list[WireInvitation]
) -> list[InvitationQr]:
    """These standing invitations to the event, each a signed QR text valid until the event ends (the
    printable sheet signs a whole guest list in one go, with one key)."""
    if event.cancelled:
        raise ApiError(409, "event_cancelled", "the event is cancelled")
    if pub.at_us > event.ends_at_us:
        raise ApiError(409, "event_ended", "the event is over")
    key = invitation_key(conn, pub)
    codes = []
    for invitation in invitations:
        assert invitation.event_id == event.id and not invitation.cancelled
        signed = InvitationPass(
            invitation_id=invitation.id,
            event_id=event.id,
            member_id=invitation.member_id,
            key_id=key.key_id,
            valid_until_us=event.ends_at_us,
        )
        codes.append(
            InvitationQr(
                text=invitation_qr_text(key, signed), key_id=key.key_id, valid_until_us=event.ends_at_us
            )
        )
    return codes


def verified_pass(conn: Connection, code: str, now_us: int) -> InvitationPass | None:
    """The pass a QR text carries when the club signed it (any of its invitation keys, retired ones too:
    a pass stays good until its event ends) and it is still valid; else None."""
    rows = conn.execute(
        select(SERVER_KEY.c.key_id, SERVER_KEY.c.private_key).where(SERVER_KEY.c.purpose == PURPOSE)
    )
    public = {r.key_id: issuing_key_from_private(r.key_id, b64decode(r.private_key)).public for r in rows}
    try:
        return verify_invitation_qr(code, public, now_us)
    except PayloadError:
        return None
