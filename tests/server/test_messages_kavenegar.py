# SPDX-License-Identifier: GPL-3.0-or-later
"""The Kavenegar adapter against a local HTTP server that answers the calls it uses as the documentation
(https://kavenegar.com/rest.html) describes them: sms/send, sms/statuslocalmessageid, sms/status, with the
`return`/`entries` envelope and its error answers (HTTP status = return.status)."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from sync.server import cli
from sync.server.messages.providers import kavenegar
from sync.server.messages.providers.base import Outgoing, ProviderError

KEY = "4A6B7C-TEST-API-KEY-7F"
LINE = "10004346"
PERSIAN = "۱۵۰ امتیاز با این خرید به حساب شما افزوده شد. مانده: ۱٬۲۵۰"


@dataclass
class Request:
    method: str
    path: str
    form: dict[str, str]
    content_type: str


@dataclass
class FakeKavenegar:
    """The calls the adapter uses, as documented; state in memory."""

    credit_rials: int = 10_000
    cost_rials: int = 1_200  # a UCS-2 part
    requests: list[Request] = field(default_factory=list)
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)  # by messageid
    # the next calls' answers, in order: an HTTP status to fail with, or None to answer as usual
    fail_next: list[int | None] = field(default_factory=list)
    hold_answer: threading.Event | None = None  # set: answer a send only once this is set (a slow server)
    next_id: int = 8792343

    def handle(self, method: str, path: str, form: dict[str, str]) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if len(parts) != 4 or parts[0] != "v1" or not parts[3].endswith(".json"):
            return 404, _envelope(404, "متد نامشخص است")
        key, scope, name = parts[1], parts[2], parts[3].removesuffix(".json")
        status = self.fail_next.pop(0) if self.fail_next else None
        if status is not None:
            return status, (
                _envelope(status, "سرور قادر به پاسخگوئی نیست") if status < 500 else "<html>502</html>"
            )
        if key != KEY:
            return 403, _envelope(403, "کد شناسائی API-Key معتبر نمی‌باشد")
        method_of = {"send": self.send, "statuslocalmessageid": self.by_localid, "status": self.status}
        if scope != "sms" or name not in method_of:
            return 404, _envelope(404, "متد نامشخص است")
        return method_of[name](form)

    def by_localid(self, form: dict[str, str]) -> tuple[int, Any]:
        found = [m for m in self.messages.values() if str(m["localid"]) == form.get("localid")]
        if not found:
            unknown = {
                "messageid": 0,
                "localid": form.get("localid"),
                "status": 100,
                "statustext": "شناسه نامعتبر",
            }
            return 200, _envelope(200, "تایید شد", [unknown])
        m = found[0]
        held = {
            "messageid": m["messageid"],
            "localid": m["localid"],
            "status": m["status"],
            "statustext": "ارسال به مخابرات",
        }
        return 200, _envelope(200, "تایید شد", [held])

    def status(self, form: dict[str, str]) -> tuple[int, Any]:
        entries = []
        for messageid in form.get("messageid", "").split(","):
            m = self.messages.get(int(messageid)) if messageid.isdigit() else None
            said = "رسیده به گوشی" if m and m["status"] == 10 else "نامعتبر"
            entries.append(
                {"messageid": int(messageid or 0), "status": m["status"] if m else 100, "statustext": said}
            )
        return 200, _envelope(200, "تایید شد", entries)

    def send(self, form: dict[str, str]) -> tuple[int, Any]:
        receptor, message = form.get("receptor", ""), form.get("message", "")
        if not receptor or not message:
            return 400, _envelope(400, "پارامترها ناقص هستند")
        if not (len(receptor) == 11 and receptor.startswith("09") and receptor.isdigit()):
            return 411, _envelope(411, "شماره گیرنده پیام معتبر نمی باشد")
        if form.get("sender", LINE) != LINE:
            return 412, _envelope(412, "شماره فرستنده معتبر نمی‌باشد")
        if self.credit_rials < self.cost_rials:
            return 418, _envelope(418, "اعتبار حساب شما کافی نیست")
        self.credit_rials -= self.cost_rials
        messageid, self.next_id = self.next_id, self.next_id + 1
        entry = {
            "messageid": messageid,
            "message": message,
            "status": 1,
            "statustext": "در صف ارسال",
            "sender": form.get("sender", LINE),
            "receptor": receptor,
            "date": 1356619709,
            "cost": self.cost_rials,
        }
        self.messages[messageid] = {**entry, "localid": form.get("localid")}
        return 200, _envelope(200, "تایید شد", [entry])


def _envelope(status: int, message: str, entries: Any = None) -> dict[str, Any]:
    return {"return": {"status": status, "message": message}, "entries": entries}


@pytest.fixture
def fake() -> Iterator[tuple[FakeKavenegar, str]]:
    state = FakeKavenegar()

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else urlsplit(self.path).query
            form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            path = urlsplit(self.path).path
            state.requests.append(Request(self.command, path, form, self.headers.get("Content-Type", "")))
            status, body = state.handle(self.command, path, form)
            if path.endswith("/sms/send.json") and state.hold_answer is not None:
                state.hold_answer.wait(10)  # the message is taken; its answer comes late
            data = (json.dumps(body, ensure_ascii=False) if not isinstance(body, str) else body).encode()
            self.send_response(status)
            self.send_header(
                "Content-Type",
                "application/json; charset=utf-8" if not isinstance(body, str) else "text/html",
            )
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            with contextlib.suppress(OSError):  # the client gave up waiting (the timeout test)
                self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        if state.hold_answer is not None:
            state.hold_answer.set()
        server.shutdown()
        server.server_close()


def _adapter(base: str, key: str = KEY, sender: str | None = LINE) -> kavenegar.Kavenegar:
    env = {kavenegar.API_KEY_ENV: key, kavenegar.URL_ENV: base}
    if sender:
        env[kavenegar.SENDER_ENV] = sender
    adapter = kavenegar.from_env(env)
    assert adapter is not None
    return adapter


def _sms(
    key: str = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", to: str = "+989121234567", body: str = PERSIAN
) -> Outgoing:
    return Outgoing(key=key, channel="sms", recipient=to, body=body)


def test_a_message_is_sent_and_the_answer_kept(fake: tuple[FakeKavenegar, str]) -> None:
    state, base = fake
    sent = _adapter(base).send(_sms())
    assert sent.provider_id == "8792343"
    assert sent.cost_rials == 1_200
    assert "در صف ارسال" in sent.answer
    (message,) = state.messages.values()
    assert message["message"] == PERSIAN  # Persian intact through the form encoding
    assert message["receptor"] == "09121234567"


def test_the_requests_match_the_documentation(fake: tuple[FakeKavenegar, str]) -> None:
    """The documentation's example: https://api.kavenegar.com/v1/{API-KEY}/sms/send.json with receptor,
    sender and message (plus localid, the caller's id); statuslocalmessageid.json with localid;
    status.json with messageid; POST form, UTF-8."""
    state, base = fake
    adapter = _adapter(base)
    sent = adapter.send(_sms(key="42"))
    adapter.delivery([sent.provider_id or ""])
    check, send, status = state.requests
    assert check.path == f"/v1/{KEY}/sms/statuslocalmessageid.json"
    assert check.form == {"localid": "42"}  # a numeric key is its own localid
    assert send.method == "POST" and send.path == f"/v1/{KEY}/sms/send.json"
    assert send.content_type == "application/x-www-form-urlencoded"
    assert send.form == {"receptor": "09121234567", "sender": LINE, "message": PERSIAN, "localid": "42"}
    assert status.path == f"/v1/{KEY}/sms/status.json"
    assert status.form == {"messageid": sent.provider_id}
    assert kavenegar.API_URL == "https://api.kavenegar.com"  # the production base, as documented


def test_without_a_sender_the_account_default_line_is_used(fake: tuple[FakeKavenegar, str]) -> None:
    state, base = fake
    _adapter(base, sender=None).send(_sms())
    assert "sender" not in state.requests[-1].form


def test_a_uuid_key_is_a_stable_numeric_localid() -> None:
    key = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
    assert kavenegar.local_id(key) == kavenegar.local_id(key)
    assert 0 <= kavenegar.local_id(key) < 2**63
    assert kavenegar.local_id(key) != kavenegar.local_id(key[:-1] + "c")


def test_a_send_whose_answer_was_lost_is_not_sent_again(fake: tuple[FakeKavenegar, str]) -> None:
    """The send reached Kavenegar but its answer did not come back in time: the next try finds the message
    under its localid and answers it, and the member gets one SMS."""
    state, base = fake
    state.hold_answer = threading.Event()
    adapter = _adapter(base)
    adapter.timeout_s = (5.0, 0.5)
    with pytest.raises(ProviderError) as lost:
        adapter.send(_sms())
    assert lost.value.retry
    state.hold_answer.set()
    state.hold_answer = None
    again = adapter.send(_sms())
    assert len(state.messages) == 1
    assert again.provider_id == str(next(iter(state.messages)))
    assert "already held" in again.answer
    assert KEY not in lost.value.answer


@pytest.mark.parametrize(
    ("setup", "retry", "code"),
    [
        (lambda s: setattr(s, "credit_rials", 0), False, "418"),
        (
            lambda s: s.fail_next.extend([None, 409]),
            True,
            "409",
        ),  # the check passes, the send is told "later"
        (lambda s: s.fail_next.extend([None, 502]), True, "502"),
        (lambda s: s.fail_next.extend([502]), True, "502"),  # the check itself fails: not sent either
    ],
)
def test_errors_are_final_or_worth_a_retry(
    fake: tuple[FakeKavenegar, str], setup: Any, retry: bool, code: str
) -> None:
    state, base = fake
    setup(state)
    with pytest.raises(ProviderError) as refused:
        _adapter(base).send(_sms())
    assert refused.value.retry is retry
    assert code in refused.value.answer
    assert not state.messages


def test_a_wrong_sender_and_a_wrong_number_are_final(fake: tuple[FakeKavenegar, str]) -> None:
    state, base = fake
    with pytest.raises(ProviderError) as sender:
        _adapter(base, sender="30001").send(_sms())
    assert (sender.value.retry, sender.value.answer[:14]) == (False, "kavenegar 412:")
    with pytest.raises(ProviderError) as number:
        _adapter(base).send(_sms(to="+4915112345678"))
    assert (number.value.retry, number.value.answer[:14]) == (False, "kavenegar 411:")
    assert not state.messages


def test_a_wrong_key_is_final_and_never_shown(fake: tuple[FakeKavenegar, str]) -> None:
    _, base = fake
    adapter = _adapter(base, key="WRONG-SECRET-KEY")
    with pytest.raises(ProviderError) as refused:
        adapter.send(_sms())
    assert not refused.value.retry and "403" in refused.value.answer
    assert "WRONG-SECRET-KEY" not in refused.value.answer + repr(adapter)


def test_no_answer_is_worth_a_retry_and_does_not_show_the_key() -> None:
    adapter = kavenegar.from_env({kavenegar.API_KEY_ENV: KEY, kavenegar.URL_ENV: "http://127.0.0.1:9"})
    assert adapter is not None
    with pytest.raises(ProviderError) as refused:
        adapter.send(_sms())
    assert refused.value.retry
    assert KEY not in refused.value.answer and KEY not in repr(adapter)


def test_delivery_states(fake: tuple[FakeKavenegar, str]) -> None:
    state, base = fake
    adapter = _adapter(base)
    sent = adapter.send(_sms())
    state.messages[int(sent.provider_id or 0)]["status"] = 10
    assert adapter.delivery([sent.provider_id or "", "1"]) == {
        sent.provider_id: ("delivered", "رسیده به گوشی"),
        "1": ("unknown", "نامعتبر"),
    }
    many = [str(n) for n in range(1, 1202)]
    assert len(adapter.delivery(many)) == len(many)
    asked = [
        r.form["messageid"].count(",") + 1 for r in state.requests if r.path.endswith("/sms/status.json")
    ]
    assert asked[-3:] == [500, 500, 201]  # 500 ids a call at most (414 beyond)


def test_not_configured_without_a_key() -> None:
    assert kavenegar.from_env({}) is None
    assert kavenegar.from_env({kavenegar.API_KEY_ENV: "  "}) is None


def test_the_cli_sends_a_test_sms(
    fake: tuple[FakeKavenegar, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Any,
) -> None:
    state, base = fake
    db = f"sqlite:///{tmp_path / 'unused.sqlite3'}"
    monkeypatch.delenv(kavenegar.API_KEY_ENV, raising=False)
    assert cli.main(["--db", db, "messages", "test", "--to", "0912 123 4567"]) == cli.EXIT_REFUSED
    assert "no sms provider is configured: set BASHGAH_KAVENEGAR_API_KEY" in capsys.readouterr().err
    monkeypatch.setenv(kavenegar.API_KEY_ENV, KEY)
    monkeypatch.setenv(kavenegar.SENDER_ENV, LINE)
    monkeypatch.setenv(kavenegar.URL_ENV, base)
    assert cli.main(["--db", db, "messages", "test", "--to", "۰۹۱۲۱۲۳۴۵۶۷", "--text", PERSIAN]) == 0
    out = capsys.readouterr().out
    assert "sent by kavenegar to +989121234567: 1 در صف ارسال" in out and "8792343, 1200 rials" in out
    (message,) = state.messages.values()
    assert (message["receptor"], message["message"]) == ("09121234567", PERSIAN)
    state.credit_rials = 0
    assert cli.main(["--db", db, "messages", "test", "--to", "09121234567"]) == cli.EXIT_REFUSED
    err = capsys.readouterr().err
    assert "kavenegar refused the message (final): kavenegar 418" in err and KEY not in err
    assert cli.main(["--db", db, "messages", "test", "--to", "not-a-number"]) == cli.EXIT_REFUSED
    assert "neither an email address nor a mobile number" in capsys.readouterr().err


def test_the_sender_records_what_kavenegar_reports_delivered_or_failed(
    fake: tuple[FakeKavenegar, str], club_db: Any
) -> None:
    """Two sale messages sent through the adapter by the real sender; the phone of one reports delivered
    (10), the other's number never answers (11): the outbox says so with Kavenegar's words, and a message
    still on its way stays `sent` until its report comes."""
    from sqlalchemy import select

    from sync.server import members
    from sync.server.messages import outbox
    from sync.server.messages.sender import Sender
    from sync.server.models import MESSAGE
    from sync.server.sequence import Publisher
    from tests.server.club import T0, FakeClock, member

    state, base = fake
    people = [member(phone=f"0912123456{n}") for n in range(3)]

    def enrol(conn: Any) -> None:
        pub = Publisher(T0)
        for m in people:
            members.put_member(conn, pub, m)
        pub.flush(conn)
        sale = {"earned": 15, "spent": 0, "balance": 15, "amount": 1_500_000, "invoice": "A", "at_us": T0}
        outbox.queue(conn, [outbox.Queued(m.id, "sale:1", "points_earned", T0, sale) for m in people], T0)

    club_db.write(enrol)
    clock = FakeClock()
    sender = Sender(club_db, {"sms": _adapter(base)}, clock)
    assert sender.run_once().sent == 3
    first, second, _third = sorted(state.messages)
    state.messages[first]["status"] = 10
    state.messages[second]["status"] = 11
    assert sender.check_delivery() == 2
    with club_db.read() as conn:
        found = {
            r.recipient: (r.status, r.provider_answer)
            for r in conn.execute(select(MESSAGE.c.recipient, MESSAGE.c.status, MESSAGE.c.provider_answer))
        }
    by_phone = {m["receptor"]: m["status"] for m in state.messages.values()}
    statuses = sorted(found[phone][0] for phone in by_phone)
    assert statuses == ["delivered", "failed", "sent"]
    assert ("delivered", "رسیده به گوشی") in found.values()
    assert sender.check_delivery() == 0  # what is final is not asked about again
