# SPDX-License-Identifier: GPL-3.0-or-later
"""Event and door commands: the door's verdict for scripts and tests, the guest list, events made here.

`door admit` exits 0 only for ADMIT, so `bashgah door admit … && open-the-gate` does the right thing; the
verdict (any colour) is printed either way, as the screen shows it.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.cli.output import (
    EXIT_REFUSED,
    Output,
    iso_utc,
    parse_whole,
    read_at_most,
    staff_from_args,
    terminal_from_args,
)
from app.domain.errors import ClubError
from app.messages import message

_VERDICT_TEXT = {
    "admit": ("ADMIT", "ورود"),
    "already_inside": ("ALREADY INSIDE", "قبلاً وارد شده"),
    "not_invited": ("NOT INVITED", "دعوت نشده"),
    "card_refused": ("CARD REFUSED", "کارت پذیرفته نشد"),
    "full": ("FULL", "ظرفیت پر"),
}


def cmd_door_admit(args: argparse.Namespace, out: Output) -> int:
    from app.cards.payload import MAX_MESSAGE_BYTES
    from app.cli.card_commands import _parse_uid
    from app.services import door

    terminal = terminal_from_args(args)
    staff = staff_from_args(args, required=True, who="host")
    assert staff is not None
    event = door.current_event(terminal, args.event)
    if args.card_file:
        data = read_at_most(args.card_file, MAX_MESSAGE_BYTES)  # longer: refused as malformed
        result = door.admit_card(terminal, event.id, data, _parse_uid(args.uid), staff)
    elif args.qr:
        result = door.admit_qr(terminal, event.id, args.qr, staff)
    else:
        member_id = _member_id(terminal, args.member)
        admit = door.admit_plus_one if args.plus_one else door.admit_member
        result = admit(terminal, event.id, member_id, staff)
    out.emit(verdict_json(result, out.lang), _verdict_lines(result, out))
    return 0 if result.verdict.value == "admit" else EXIT_REFUSED


def verdict_json(result: Any, lang: str) -> dict[str, Any]:
    """The verdict as the door screen shows it."""
    guest = result.guest
    refusal = result.refusal()
    check_in = result.check_in
    return {
        "verdict": result.verdict.value,
        "reason": result.reason,
        "message": message(refusal, lang) if refusal else None,
        "event": {"id": result.event.id, "name": result.event.name},
        "guest": None
        if guest is None
        else {
            "member_id": guest.member_id,
            "name": guest.name,
            "tier": guest.tier.code if guest.tier else None,
            "has_photo": guest.photo is not None,
            "from_card": guest.from_card,
        },
        "plus_ones": {"allowed": result.plus_ones_allowed, "admitted": result.plus_ones_admitted},
        "check_in": None
        if check_in is None
        else {
            "entry_id": check_in.entry_id,
            "at": iso_utc(check_in.at_us),
            "door": result.door,
            "at_this_door": result.at_this_door,
            "plus_one": check_in.guest,
        },
        "counts": {
            "admitted": result.counts.admitted,
            "invited": result.counts.invited,
            "capacity": result.counts.capacity,
        },
    }


def _verdict_lines(result: Any, out: Output) -> list[str]:
    english, persian = _VERDICT_TEXT[result.verdict.value]
    lines = [persian if out.lang == "fa" else english]
    if result.guest is not None:
        lines.append(result.guest.name)
    refusal = result.refusal()
    if refusal is not None:
        lines.append(message(refusal, out.lang))
    if result.verdict.value == "already_inside" and result.check_in is not None:
        lines.append(
            out.t(
                "Admitted at {at} at door {door}.",
                "ساعت {at} از در {door} وارد شده است.",
                at=out.when(result.check_in.at_us),
                door=result.door or "?",
            )
        )
    counts = result.counts
    lines.append(
        out.t(
            "Inside {admitted} · invited {invited} · capacity {capacity}",
            "داخل {admitted}، دعوت‌شده {invited}، ظرفیت {capacity}",  # «·» reads as a Persian zero
            admitted=counts.admitted,
            invited=counts.invited,
            capacity=counts.capacity if counts.capacity is not None else "—",
        )
    )
    return lines


def cmd_door_list(args: argparse.Namespace, out: Output) -> int:
    from app.services import door

    terminal = terminal_from_args(args)
    event = door.current_event(terminal, args.event)
    rows = door.guest_list(terminal, event.id, search=args.search or "")
    if args.csv:
        Path(args.csv).write_text(door.attendance_csv(rows), encoding="utf-8")
    counts = door.door_counts(terminal, event.id)
    data = {
        "event": {"id": event.id, "name": event.name},
        "counts": {"admitted": counts.admitted, "invited": counts.invited, "capacity": counts.capacity},
        "guests": [
            {
                "member_id": r.member_id,
                "name": r.name,
                "phone": r.phone,
                "tier": r.tier_code,
                "admitted_at": iso_utc(r.admitted_at_us) if r.admitted_at_us is not None else None,
                "door": r.door,
                "check_in_id": r.check_in_id,
                "plus_ones_allowed": r.plus_ones_allowed,
                "plus_ones_admitted": r.plus_ones_admitted,
                "admitted_twice": r.admitted_twice,
            }
            for r in rows
        ],
    }
    lines = [f"{event.name}: {counts.admitted} / {counts.invited}"]
    lines += [_guest_line(r) for r in rows]
    out.emit(data, lines)
    return 0


def _guest_line(row: Any) -> str:
    inside = "✓" if row.admitted_at_us else " "
    return f"{inside} {row.name} {row.phone} {row.door or ''}{' ‼' if row.admitted_twice else ''}"


def cmd_door_undo(args: argparse.Namespace, out: Output) -> int:
    from app.services import door

    terminal = terminal_from_args(args)
    staff = staff_from_args(args, required=True)
    assert staff is not None
    event = door.current_event(terminal, args.event)
    entry_id = door.undo_admission(terminal, event.id, args.check_in, staff, args.reason)
    out.emit(
        {"entry_id": entry_id, "undoes": args.check_in},
        [out.t("Admission undone.", "پذیرش لغو شد.")],
    )
    return 0


def cmd_event_list(args: argparse.Namespace, out: Output) -> int:
    from app.services import door

    terminal = terminal_from_args(args)
    found = door.open_events(terminal) if not args.all else _all_events(terminal)
    data = {"events": [_event_json(e) for e in found]}
    out.emit(data, [f"{e.id}  {out.when(e.starts_at_us)}  {e.name}" for e in found])
    return 0


def _all_events(terminal: Any) -> list[Any]:
    from app.store import events

    with terminal.db.read() as conn:
        return events.events(conn)


def _event_json(event: Any) -> dict[str, Any]:
    return {
        "id": event.id,
        "name": event.name,
        "venue": event.venue,
        "starts_at": iso_utc(event.starts_at_us),
        "ends_at": iso_utc(event.ends_at_us),
        "capacity": event.capacity,
        "invited_tiers": list(event.invited_tiers),
        "plus_ones": event.plus_ones,
        "cancelled": event.cancelled,
    }


def cmd_event_create(args: argparse.Namespace, out: Output) -> int:
    from app.domain.event import Event
    from app.services import door

    terminal = terminal_from_args(args)
    staff = staff_from_args(args, required=True)
    assert staff is not None
    event = door.save_event(
        terminal,
        staff,
        Event(
            id=terminal.new_id(),
            name=args.name,
            venue=args.venue or "",
            starts_at_us=parse_time(args.starts),
            ends_at_us=parse_time(args.ends),
            capacity=parse_whole(args.capacity, "invalid_capacity", "capacity"),
            invited_tiers=tuple(args.tier or ()),
            plus_ones=parse_whole(args.plus_ones, "invalid_plus_ones", "plus_ones") or 0,
        ),
    )
    done = out.t(
        "Event {id} created; invite guests with `event invite … --event {id}`.",
        "رویداد {id} ساخته شد؛ مهمانان را با «event invite … --event {id}» دعوت کنید.",
        id=event.id,
    )
    out.emit(_event_json(event), [done])
    return 0


def planned_event(terminal: Any, event_id: str | None) -> Any:
    """The event a manager's act is for: the one named, else the only event not yet over. A door works
    at the event open now; a manager inviting guests may mean one made a minute ago for next week, so
    with several to choose from the command asks rather than guesses."""
    from app.services import door

    if event_id:
        return door.get_event(terminal, event_id)
    coming = door.open_events(terminal)
    if len(coming) != 1:
        listed = ", ".join(f"{e.id} ({e.name})" for e in coming)
        raise ClubError("no_open_event") if not coming else ClubError("name_the_event", events=listed)
    return coming[0]


def cmd_event_invite(args: argparse.Namespace, out: Output) -> int:
    from app.services import door

    terminal = terminal_from_args(args)
    staff = staff_from_args(args, required=True)
    assert staff is not None
    event = planned_event(terminal, args.event)
    plus_ones = parse_whole(args.plus_ones, "invalid_plus_ones", "plus_ones")
    invited = []
    for query in args.member:
        member_id = _member_id(terminal, query)
        saved = door.invite(terminal, staff, event.id, member_id, plus_ones=plus_ones, cancel=args.cancel)
        invited.append({"invitation_id": saved.id, "member_id": member_id, "cancelled": saved.cancelled})
    out.emit(
        {"event_id": event.id, "invitations": invited},
        [out.t("{n} invitations saved.", "{n} دعوت‌نامه ثبت شد.", n=len(invited))],
    )
    return 0


def cmd_event_qr(args: argparse.Namespace, out: Output) -> int:
    from app.cli.card_commands import _write_qr
    from app.services import door

    terminal = terminal_from_args(args)
    staff = staff_from_args(args, required=True)
    assert staff is not None
    event = planned_event(terminal, args.event)
    member_id = _member_id(terminal, args.member)
    text = door.invitation_qr(terminal, staff, event.id, member_id)
    if args.png:
        _write_qr(text, Path(args.png))
    out.emit({"event_id": event.id, "member_id": member_id, "text": text, "png": args.png}, [text])
    return 0


def _member_id(terminal: Any, query: str) -> str:
    """The member a card number, phone or id names (refused when none)."""
    from app.services.identify import resolve

    with terminal.db.read() as conn:
        return resolve(conn, query).id


def parse_time(text: str) -> int:
    """A date and time as people type it, Jalali or Gregorian (app.typed_time); refused when not one."""
    from app.typed_time import typed_moment_us

    moment = typed_moment_us(text)
    if moment is None:
        raise ClubError("invalid_time", value=text)
    return moment


def add_door_commands(sub: Any, add: Any, staff_options: Any) -> None:
    door = sub.add_parser("door", help="the event door").add_subparsers(dest="door_command", required=True)
    admit = add(
        "admit", cmd_door_admit, "the door's verdict on a card, a QR or a member (admits if allowed)", door
    )
    admit.add_argument("--event", help="event id (default: the one event open now)")
    how = admit.add_mutually_exclusive_group(required=True)
    how.add_argument("--card-file", help="the card's NDEF message, as read (with --uid)")
    how.add_argument("--qr", help="a scanned invitation or member QR text")
    how.add_argument("--member", help="member id, card number or phone (the host checked the photo)")
    admit.add_argument("--uid", help="the chip's UID (hex) the reader reported, with --card-file")
    admit.add_argument("--plus-one", action="store_true", help="with --member: admit one guest they brought")
    staff_options(admit)
    listing = add("list", cmd_door_list, "the guest list and who is inside", door)
    listing.add_argument("--event", help="event id (default: the one event open now)")
    listing.add_argument("--search", help="part of a name or phone number")
    listing.add_argument("--csv", help="also write the attendance list to this CSV file")
    undo = add("undo", cmd_door_undo, "undo an admission (manager)", door)
    undo.add_argument("check_in", help="the check-in entry id")
    undo.add_argument("--event", help="event id (default: the one event open now)")
    undo.add_argument("--reason", required=True)
    staff_options(undo)

    event = sub.add_parser("event", help="club events").add_subparsers(dest="event_command", required=True)
    listed = add("list", cmd_event_list, "events open now or later", event)
    listed.add_argument("--all", action="store_true", help="past and cancelled events too")
    create = add("create", cmd_event_create, "create an event here (manager; synced to the club)", event)
    create.add_argument("--name", required=True)
    create.add_argument(
        "--starts",
        required=True,
        help="1405/09/30T18:00 (Jalali) or 2026-12-21T18:00; local time, or with +03:30",
    )
    create.add_argument("--ends", required=True, help="as --starts")
    create.add_argument("--venue")
    create.add_argument("--capacity", help="people, plus-ones included")
    create.add_argument("--tier", action="append", help="invite every member of this tier (repeatable)")
    create.add_argument("--plus-ones", help="guests each invited member may bring")
    staff_options(create)
    invite = add("invite", cmd_event_invite, "put members on the guest list (manager)", event)
    invite.add_argument("member", nargs="+", help="member id, card number or phone")
    invite.add_argument("--event", help="event id (needed when more than one event is not yet over)")
    invite.add_argument("--plus-ones", help="this member's plus-ones (default: the event's)")
    invite.add_argument("--cancel", action="store_true", help="take them off the list instead")
    staff_options(invite)
    qr = add("qr", cmd_event_qr, "an invitation as a signed QR, for a guest without a card (manager)", event)
    qr.add_argument("--member", required=True)
    qr.add_argument("--event", help="event id (needed when more than one event is not yet over)")
    qr.add_argument("--png", help="save the QR code as this PNG")
    staff_options(qr)
