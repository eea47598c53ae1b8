# SPDX-License-Identifier: GPL-3.0-or-later
"""Card commands: read and watch readers, list them, issue and revoke cards.

Readers are only touched on the card manager's device thread; these commands wait on its event queue.
"""

from __future__ import annotations

import argparse
import queue
import time
from pathlib import Path
from typing import Any

from app.cards.base import CardEvent, CardEventKind
from app.cards.manager import CardManager
from app.cards.ntag424.keys import key_ref_from_ndef
from app.cli.output import Output, iso_utc, staff_from_args, terminal_from_args
from app.domain.errors import ClubError
from app.messages import message, read_error_text

_CARD_KINDS = (CardEventKind.TAPPED, CardEventKind.READ_FAILED)


def _manager(selection: str, terminal: Any = None) -> CardManager:
    """The readers of `selection`; with the terminal, its PC/SC reader challenges chip-keyed cards with the
    terminal's chip keys."""
    from app.cards.backends import make_backends
    from app.services.chip_keys import chip_keys_for, chip_reading

    chip = chip_reading(chip_keys_for(terminal) if terminal is not None else None)
    manager = CardManager(make_backends(selection, chip=chip))
    manager.start()
    return manager


def _next_card(events: queue.Queue[CardEvent], timeout_s: float) -> CardEvent:
    """The next card read (or failed read) within the timeout."""
    deadline = time.monotonic() + timeout_s
    while (left := deadline - time.monotonic()) > 0:
        try:
            event = events.get(timeout=left)
        except queue.Empty:
            break
        if event.kind in _CARD_KINDS:
            return event
    raise ClubError("no_card_presented", seconds=int(timeout_s))


def _refuse_without_readers(manager: CardManager, selection: str) -> None:
    """No reader of the selection can read a card (none attached, its service down): say so at once,
    rather than wait out the timeout and blame the member for not presenting a card."""
    from app.cards.base import ReaderState

    manager.wait_ready(READERS_LOOK_S)
    if not any(r.state is not ReaderState.UNAVAILABLE for r in manager.readers()):
        raise ClubError("reader_unavailable", reader=selection)


READERS_LOOK_S = 5.0  # how long the device thread may take to look at every backend once


def _verdict_json(event: CardEvent, identification: Any) -> dict[str, Any]:
    read_ms = (event.read_us or 0) / 1000
    if identification is None:  # the card could not be read at all
        return {
            "reader": event.reader,
            "source": event.source,
            "uid": event.uid.hex() if event.uid else None,
            "member_id": None,
            "card_number": None,
            "verdict": "refused",
            "reason": event.error.value if event.error else "unreadable",
            "earn_only": False,
            "ms": round(read_ms, 1),
        }
    verdict = identification.verdict
    return {
        "reader": event.reader,
        "source": event.source,
        "uid": event.uid.hex() if event.uid else None,
        "member_id": verdict.payload.member_id if verdict.payload else None,
        "card_number": identification.card_number,
        "verdict": "valid" if verdict.valid else "refused",
        "reason": verdict.reason,
        "earn_only": verdict.earn_only,
        "checks": sorted(verdict.checks),
        "ms": round(read_ms + identification.verify_us / 1000, 1),
    }


def _verdict_line(data: dict[str, Any], identification: Any, out: Output) -> str:
    if data["verdict"] == "valid":
        name = (
            identification.member.name
            if identification.member
            else (identification.verdict.profile.name if identification.verdict.profile else "?")
        )
        text = out.t(
            "Card {card}: {name} — accepted.",
            "کارت {card}: {name} — پذیرفته شد.",
            card=data["card_number"],
            name=name,
        )
        caveat = identification.verdict.error()
        if caveat is not None:  # earning only, and why (an old list of lost cards, a chip not checked…)
            text += " " + message(caveat, out.lang)
        return text
    reason = (
        identification.verdict.error()
        if identification is not None
        else ClubError("card_unreadable", reason=read_error_text(data["reason"], out.lang))
    )
    return out.t("Card refused: {why}", "کارت پذیرفته نشد: {why}", why=message(reason, out.lang))


def cmd_card_read(args: argparse.Namespace, out: Output) -> int:
    from app.services.cards import identify_event

    terminal = terminal_from_args(args)
    manager = _manager(args.reader, terminal)
    try:
        events = manager.subscribe()
        _refuse_without_readers(manager, args.reader)
        event = _next_card(events, args.timeout)
    finally:
        manager.stop()
    identification = identify_event(terminal, event)
    data = _verdict_json(event, identification)
    out.emit(data, [_verdict_line(data, identification, out)])
    return 0 if data["verdict"] == "valid" else 1


def cmd_card_watch(args: argparse.Namespace, out: Output) -> int:
    from app.services.cards import identify_event

    terminal = terminal_from_args(args)
    manager = _manager(args.reader, terminal)
    events = manager.subscribe()
    deadline = time.monotonic() + args.timeout if args.timeout else None
    try:
        while deadline is None or time.monotonic() < deadline:
            try:
                event = events.get(timeout=0.2)
            except queue.Empty:
                continue
            _print_event(event, identify_event(terminal, event), out)
    except KeyboardInterrupt:
        pass
    finally:
        manager.stop()
    return 0


def _print_event(event: CardEvent, identification: Any, out: Output) -> None:
    data: dict[str, Any] = {
        "event": event.kind.value,
        "at": iso_utc(event.at_us),
        "reader": event.reader,
        "source": event.source,
    }
    if event.kind in _CARD_KINDS:
        data |= _verdict_json(event, identification)
        line = _verdict_line(data, identification, out)
    else:
        line = f"{event.kind.value}: {event.reader or event.source}" + (
            f" ({event.detail})" if event.detail else ""
        )
    out.emit(data, [f"{data['at'][11:23]}  {line}"])


def cmd_readers(args: argparse.Namespace, out: Output) -> int:
    manager = _manager(args.reader)
    try:
        manager.wait_ready(args.timeout)
        readers = manager.readers()
    finally:
        manager.stop()
    data = {
        "readers": [
            {"source": r.source, "name": r.name, "state": r.state.value, "detail": r.detail} for r in readers
        ]
    }
    lines = [
        f"{r.source:<10} {out.word(r.state.value):<13} {r.name}" + (f"  ({r.detail})" if r.detail else "")
        for r in readers
    ] or [out.t("No readers.", "کارت‌خوانی نیست.")]
    out.emit(data, lines)
    return 0


def cmd_card_issue(args: argparse.Namespace, out: Output) -> int:
    from app.services.cards import bind_card, prepare_card

    terminal = terminal_from_args(args)
    staff = staff_from_args(args, required=True)
    assert staff is not None
    uid = _parse_uid(args.uid)
    if args.qr:
        prepared = prepare_card(terminal, args.member, staff=staff, as_qr=True, with_profile=args.profile)
        _write_qr(prepared.qr_text, Path(args.qr))
        written_to = args.qr
    elif args.out:
        if uid is None:
            raise ClubError("uid_required")
        prepared = prepare_card(terminal, args.member, staff=staff, uid=uid, with_profile=args.profile)
        Path(args.out).write_bytes(prepared.ndef)
        bind_card(terminal, prepared.card.number, uid)
        written_to = args.out
    else:
        prepared, uid, written_to = _issue_on_reader(terminal, args, staff, uid)
    data = {
        "member_id": prepared.member.id,
        "card_number": prepared.card.number,
        "kind": prepared.card.kind.value,
        "uid": uid.hex() if uid else None,
        "written_to": written_to,
        "bytes": len(prepared.ndef or prepared.qr_text.encode()),
        # an NTAG 424 DNA keyed by the club (its chip answers the AES challenge), not a card of before
        "chip_keyed": prepared.ndef is not None and key_ref_from_ndef(prepared.ndef) is not None,
        "expires_at": iso_utc(prepared.card.expires_at_us) if prepared.card.expires_at_us else None,
    }
    out.emit(
        data,
        [
            out.t(
                "Card {card} issued to {name} ({where}).",
                "کارت {card} برای {name} صادر شد ({where}).",
                card=prepared.card.number,
                name=prepared.member.name,
                where=written_to,
            )
        ],
    )
    return 0


def _issue_on_reader(terminal: Any, args: argparse.Namespace, staff: Any, uid: bytes | None) -> Any:
    """Wait for a card on a PC/SC reader, then sign, write and bind it there."""
    from app.cards.backends import make_backends
    from app.services.cards import write_card_on_reader
    from app.services.chip_keys import chip_keys_for, chip_reading

    chip = chip_keys_for(terminal)
    manager = CardManager(make_backends("pcsc", chip=chip_reading(chip)))
    manager.start()
    try:
        if not args.json:
            print(message(ClubError("card_place_blank"), Output(args).lang), flush=True)
        event = _next_card(manager.subscribe(), args.timeout)
        if uid is not None and event.uid != uid:
            raise ClubError("uid_mismatch_on_reader", expected=uid.hex(), found=(event.uid or b"").hex())
        prepared = write_card_on_reader(
            terminal,
            manager,
            event,
            args.member,
            staff=staff,
            with_profile=args.profile,
            timeout_s=args.timeout,
            chip_keys=chip,
        )
    finally:
        manager.stop()
    return prepared, event.uid, event.reader


def _write_qr(text: str, path: Path) -> None:
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4, box_size=8)
    code.add_data(text)
    code.make(fit=True)
    code.make_image().save(str(path))


def _parse_uid(text: str | None) -> bytes | None:
    if text is None:
        return None
    cleaned = text.replace(":", "").replace(" ", "")
    try:
        uid = bytes.fromhex(cleaned)
    except ValueError:
        raise ClubError("invalid_uid", uid=text) from None
    if not 1 <= len(uid) <= 32:
        raise ClubError("invalid_uid", uid=text)
    return uid


def cmd_card_revoke(args: argparse.Namespace, out: Output) -> int:
    from app.domain.card import normalize_card_number
    from app.services.cards import revoke_card

    terminal = terminal_from_args(args)
    staff = staff_from_args(args, required=True)
    assert staff is not None
    card = revoke_card(terminal, normalize_card_number(args.card), args.reason, staff, lost=args.lost)
    out.emit(
        {"card_number": card.number, "status": card.status.value, "member_id": card.member_id},
        [
            out.t(
                "Card {card} is now {status}; it will be refused.",
                "کارت {card} اکنون {status} است و پذیرفته نمی‌شود.",
                card=card.number,
                status=out.word(card.status.value),
            )
        ],
    )
    return 0
