# SPDX-License-Identifier: GPL-3.0-or-later
"""Email through a real SMTP server (aiosmtpd) on loopback: STARTTLS with a login, implicit TLS, and plain
when the URL says so; the messages parsed back with the `email` package (headers, Persian text intact,
RFC 8058 headers), refusals sorted into final and worth a retry, and the one-click link followed against
the real app."""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from sync.server import cli
from sync.server.messages import unsubscribe
from sync.server.messages.providers import smtp
from sync.server.messages.providers.base import Outgoing, ProviderError
from sync.server.models import AUDIT, MEMBER
from tests.server.club import member, member_item, pull_all, push

USER, PASSWORD = "club@example.com", "s3cret/pass:word@"
BODY = "تبریک! ۱۵۰ امتیاز با این خرید به حساب شما افزوده شد.\n\nمانده: ۱٬۲۵۰ امتیاز"
SUBJECT = "امتیاز جدید · New points"


@dataclass
class Mailbox:
    """What the server took, and what it refuses: a recipient starting `bounce` (550) or `later` (451)."""

    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if address.startswith("bounce"):
            return "550 5.1.1 no such mailbox"
        if address.startswith("later"):
            return "451 4.3.0 mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 queued as 4711"

    def parsed(self) -> EmailMessage:
        (_, _, raw) = self.received[-1]
        mail = message_from_bytes(raw, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        return mail


@dataclass
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1, made here (the client trusts it through ?cafile=)."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bashgah test smtp")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    paths = Certificate(folder / "cert.pem", folder / "key.pem")
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (USER.encode(), PASSWORD.encode())
    return AuthResult(success=ok)


@pytest.fixture
def mail_server(certificate: Certificate) -> Iterator[tuple[Mailbox, str]]:
    """STARTTLS required, login required (only over TLS): `smtp://…:port?cafile=…` reaches it."""
    box = Mailbox()
    port = _free_port()
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=port,
        tls_context=certificate.server_context(),
        require_starttls=True,
        authenticator=_login,
        auth_require_tls=True,
    )
    controller.start()
    try:
        url = f"smtp://{quote(USER, safe='')}:{quote(PASSWORD, safe='')}@127.0.0.1:{port}"
        yield box, f"{url}?cafile={certificate.cert}&name={quote('باشگاه مشتریان')}"
    finally:
        controller.stop()


@pytest.fixture
def plain_server() -> Iterator[tuple[Mailbox, str]]:
    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, f"smtp://127.0.0.1:{port}?from=club@example.com&starttls=0"
    finally:
        controller.stop()


def _adapter(url: str) -> smtp.Smtp:
    adapter = smtp.from_env({smtp.URL_ENV: url})
    assert adapter is not None
    adapter.timeout_s = 10.0
    return adapter


def _mail(to: str = "member@example.net", unsubscribe_url: str | None = None) -> Outgoing:
    return Outgoing(
        key="0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        channel="email",
        recipient=to,
        body=BODY,
        subject=SUBJECT,
        sender_name="باشگاه",
        unsubscribe_url=unsubscribe_url,
    )


def _text_parts(mail: EmailMessage) -> dict[str, str]:
    return {
        part.get_content_type(): str(part.get_content())
        for part in mail.walk()
        if part.get_content_maintype() == "text"
    }


def test_starttls_with_login_delivers_persian_intact(mail_server: tuple[Mailbox, str]) -> None:
    box, url = mail_server
    sent = _adapter(url).send(_mail())
    assert "accepted by 127.0.0.1" in sent.answer
    ((mail_from, rcpt, _),) = box.received
    assert (mail_from, rcpt) == (USER, ["member@example.net"])
    mail = box.parsed()
    assert mail["Subject"] == SUBJECT
    assert mail["From"].addresses[0].display_name == "باشگاه مشتریان"  # the URL's name= comes first
    assert mail["From"].addresses[0].addr_spec == USER
    assert mail["Message-ID"] == "<0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.bashgah@example.com>"
    assert sent.provider_id == mail["Message-ID"]
    assert mail.get_content_type() == "multipart/alternative"
    parts = _text_parts(mail)
    assert parts["text/plain"].rstrip("\n") == BODY
    assert 'dir="rtl"' in parts["text/html"] and "۱۵۰ امتیاز" in parts["text/html"]
    assert "List-Unsubscribe" not in mail  # a transactional message has none


def test_a_marketing_mail_carries_the_one_click_headers(mail_server: tuple[Mailbox, str]) -> None:
    box, url = mail_server
    link = "https://club.example.com/u/abc.def"
    _adapter(url).send(_mail(unsubscribe_url=link))
    mail = box.parsed()
    assert mail["List-Unsubscribe"] == f"<{link}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    parts = _text_parts(mail)  # and shown, once, in both parts
    assert parts["text/plain"].startswith(BODY) and parts["text/plain"].count(link) == 1
    assert parts["text/html"].count(f'href="{link}"') == 1
    written = Outgoing(**{**_mail(unsubscribe_url=link).__dict__, "body": f"{BODY}\n\nلغو: {link}"})
    _adapter(url).send(written)  # a template that writes the link itself gets no second one
    assert _text_parts(box.parsed())["text/plain"].count(link) == 1


def test_the_same_outbox_message_always_has_the_same_message_id(mail_server: tuple[Mailbox, str]) -> None:
    box, url = mail_server
    adapter = _adapter(url)
    adapter.send(_mail())
    adapter.send(_mail())
    ids = {message_from_bytes(raw, policy=policy.default)["Message-ID"] for _, _, raw in box.received}
    assert len(ids) == 1


def test_implicit_tls(certificate: Certificate) -> None:
    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, ssl_context=certificate.server_context())
    controller.start()
    try:
        _adapter(f"smtps://127.0.0.1:{port}?from=club@example.com&cafile={certificate.cert}").send(_mail())
    finally:
        controller.stop()
    assert _text_parts(box.parsed())["text/plain"].rstrip("\n") == BODY


def test_plain_only_when_the_url_says_so(plain_server: tuple[Mailbox, str]) -> None:
    box, url = plain_server
    _adapter(url).send(_mail())
    assert len(box.received) == 1
    with pytest.raises(ProviderError) as refused:  # the same server without starttls=0: no STARTTLS, no mail
        _adapter(url.replace("&starttls=0", "")).send(_mail())
    assert refused.value.retry and len(box.received) == 1


def test_an_untrusted_certificate_is_refused(mail_server: tuple[Mailbox, str]) -> None:
    box, url = mail_server
    with pytest.raises(ProviderError) as refused:
        _adapter(url.split("?")[0] + "?from=club@example.com").send(_mail())
    assert refused.value.retry and not box.received


def test_refusals_are_final_or_worth_a_retry_and_hide_the_password(mail_server: tuple[Mailbox, str]) -> None:
    box, url = mail_server
    with pytest.raises(ProviderError) as bounced:
        _adapter(url).send(_mail(to="bounce@example.net"))
    assert not bounced.value.retry and "550" in bounced.value.answer
    with pytest.raises(ProviderError) as busy:
        _adapter(url).send(_mail(to="later@example.net"))
    assert busy.value.retry and "451" in busy.value.answer
    wrong = _adapter(url.replace(quote(PASSWORD, safe=""), "wrong-password"))
    with pytest.raises(ProviderError) as login:
        wrong.send(_mail())
    assert login.value.retry  # a setting to fix: the message waits for it
    assert not box.received
    everything = bounced.value.answer + busy.value.answer + login.value.answer + repr(_adapter(url))
    assert PASSWORD not in everything and "wrong-password" not in everything + repr(wrong)


def test_no_server_is_worth_a_retry() -> None:
    with pytest.raises(ProviderError) as refused:
        _adapter(f"smtp://127.0.0.1:{_free_port()}?from=club@example.com&starttls=0").send(_mail())
    assert refused.value.retry


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://u%40x.com:p%3Aw@mail.example.com", ("mail.example.com", 587, "starttls", "u@x.com", "p:w")),
        ("smtps://mail.example.com?from=a@b.c", ("mail.example.com", 465, "tls", "a@b.c", "")),
        (
            "smtp://mail.example.com:2525?from=a@b.c&starttls=0",
            ("mail.example.com", 2525, "plain", "a@b.c", ""),
        ),
    ],
)
def test_the_url(url: str, expected: tuple[Any, ...]) -> None:
    config = smtp.parse_url(url)
    assert (config.host, config.port, config.security, config.sender, config.password) == expected
    assert config.password not in repr(config) or not config.password


@pytest.mark.parametrize(
    "url",
    [
        "http://mail.example.com",
        "smtp://mail.example.com",
        "smtp://:587",
        "smtp://h:99999?from=a@b",
        "smtp://u%40x.com:p%C3%A4ss@h",  # smtplib sends ASCII passwords only
    ],
)
def test_a_wrong_url_says_why_without_the_password(url: str) -> None:
    with pytest.raises(smtp.SmtpUrlError) as refused:
        smtp.parse_url(url)
    assert "päss" not in str(refused.value)
    assert smtp.from_env({}) is None


def test_the_link_in_the_mail_unsubscribes(
    mail_server: tuple[Mailbox, str], client: Any, terminal: Any, clock: Any
) -> None:
    """The whole way: a member who consented, the link made for them, the mail sent and parsed back, and
    the List-Unsubscribe URL posted as a mail provider does (RFC 8058) against the real app."""
    box, url = mail_server
    m = member(consent_marketing=True)
    push(client, terminal, [], [member_item(m)])
    db = client.app.state.db
    link = db.write(lambda conn: unsubscribe.link(conn, "http://testserver", m.id, clock.now_us()))
    _adapter(url).send(_mail(unsubscribe_url=link))
    header = box.parsed()["List-Unsubscribe"]
    target = urlsplit(header.strip("<>"))
    page = client.get(target.path)
    assert page.status_code == 200 and "Unsubscribe" in page.text  # a GET only asks
    with db.read() as conn:
        assert conn.execute(select(MEMBER.c.consent_marketing).where(MEMBER.c.id == m.id)).scalar_one()
    clock.advance(60)
    answer = client.post(
        target.path,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200 and "لغو شد" in answer.text
    with db.read() as conn:
        row = conn.execute(select(MEMBER).where(MEMBER.c.id == m.id)).one()
        audited = conn.execute(
            select(AUDIT.c.actor, AUDIT.c.action, AUDIT.c.target).where(AUDIT.c.target == m.id)
        ).all()
    assert (row.consent_marketing, row.consent_marketing_at_us, row.consent_marketing_source) == (
        False,
        clock.now_us(),
        "email_unsubscribe",
    )
    assert ("member (email_unsubscribe)", "member.consent", m.id) in audited
    published = [c["member"] for c in pull_all(client, terminal) if c["kind"] == "member"]
    assert published[-1]["id"] == m.id and published[-1]["consent_marketing"] is False
    again = client.post(target.path, content=b"List-Unsubscribe=One-Click")
    assert again.status_code == 200  # twice is fine, and changes nothing
    with db.read() as conn:
        assert (
            conn.execute(select(MEMBER.c.consent_marketing_at_us).where(MEMBER.c.id == m.id)).scalar_one()
            == row.consent_marketing_at_us
        )


def test_the_cli_sends_a_test_mail(
    mail_server: tuple[Mailbox, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    box, url = mail_server
    db = f"sqlite:///{tmp_path / 'unused.sqlite3'}"
    monkeypatch.setenv(smtp.URL_ENV, url)
    assert cli.main(["--db", db, "--json", "messages", "test", "--to", "member@example.net"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert (answer["channel"], answer["provider"], answer["to"]) == ("email", "smtp", "member@example.net")
    assert "پیام آزمایشی" in _text_parts(box.parsed())["text/plain"]
    monkeypatch.setenv(smtp.URL_ENV, "smtp://127.0.0.1")
    assert cli.main(["--db", db, "messages", "test", "--to", "member@example.net"]) == cli.EXIT_REFUSED
    assert "names no sender address" in capsys.readouterr().err


def _campaign_email(db: Any, member_id: str, clock: Any, campaign: str) -> None:
    """A member who prefers email, and a campaign's message to them in the outbox."""
    from sync.server.messages import outbox
    from sync.server.models import MESSAGE_CAMPAIGN

    def work(conn: Any) -> None:
        conn.execute(
            MEMBER.update()
            .where(MEMBER.c.id == member_id)
            .values(email="sara@example.net", preferred_channel="email")
        )
        conn.execute(
            MESSAGE_CAMPAIGN.insert().values(
                id=campaign, name="Yalda", segment="{}", body_fa="یلدا: ۲۰٪ تخفیف", body_en="Yalda: 20 % off",
                subject_fa="یلدا", subject_en="Yalda", status="queued", members=1, created_by="test",
                created_at_us=clock.now_us(), updated_at_us=clock.now_us(),
            )
        )  # fmt: skip
        outbox.queue(
            conn,
            [outbox.Queued(member_id, f"campaign:{campaign}", "campaign", clock.now_us(), {}, marketing=True,
                           campaign_id=campaign)],
            clock.now_us(),
        )  # fmt: skip

    db.write(work)


def test_the_sender_gives_a_marketing_mail_its_working_unsubscribe_link(
    mail_server: tuple[Mailbox, str], client: Any, terminal: Any, clock: Any
) -> None:
    """The outbox's campaign message, sent by the sender through SMTP: the mail carries the member's signed
    link (List-Unsubscribe, RFC 8058) under the server's public address, and posting it withdraws consent."""
    from sync.server.messages.providers.config import configured
    from sync.server.messages.sender import Sender
    from sync.server.models import MESSAGE

    box, url = mail_server
    m = member(consent_marketing=True)
    push(client, terminal, [], [member_item(m)])
    db = client.app.state.db
    _campaign_email(db, m.id, clock, "yalda")
    providers = configured({smtp.URL_ENV: url})
    for provider in providers.values():
        provider.timeout_s = 10.0  # type: ignore[attr-defined]
    done = Sender(db, providers, clock, public_url="http://testserver").run_once()
    assert done.sent == 1, done
    mail = box.parsed()
    assert mail["To"] == "sara@example.net" and "یلدا" in _text_parts(mail)["text/plain"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    target = urlsplit(mail["List-Unsubscribe"].strip("<>"))
    assert (target.scheme, target.netloc) == ("http", "testserver")
    answer = client.post(target.path, content=b"List-Unsubscribe=One-Click")
    assert answer.status_code == 200
    with db.read() as conn:
        assert (
            conn.execute(select(MEMBER.c.consent_marketing).where(MEMBER.c.id == m.id)).scalar_one() is False
        )
        assert (
            conn.execute(select(MESSAGE.c.status).where(MESSAGE.c.member_id == m.id)).scalar_one() == "sent"
        )


def test_without_a_public_address_no_marketing_mail_goes(
    mail_server: tuple[Mailbox, str], client: Any, terminal: Any, clock: Any
) -> None:
    """A marketing email must carry a working way out: with no address to put the link under, it is
    cancelled, and says why, rather than sent without one."""
    from sync.server.messages.providers.config import configured
    from sync.server.messages.sender import Sender
    from sync.server.models import MESSAGE

    box, url = mail_server
    m = member(consent_marketing=True)
    push(client, terminal, [], [member_item(m)])
    db = client.app.state.db
    _campaign_email(db, m.id, clock, "yalda2")
    Sender(db, configured({smtp.URL_ENV: url}), clock).run_once()
    assert box.received == []
    with db.read() as conn:
        sent = conn.execute(select(MESSAGE).where(MESSAGE.c.member_id == m.id)).one()
    assert (sent.status, sent.provider_answer) == ("cancelled", "no_public_url")
