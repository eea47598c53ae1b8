# SPDX-License-Identifier: GPL-3.0-or-later
"""Email through SMTP, with the standard library's client.

Configured by one URL, BASHGAH_SMTP_URL:
- `smtp://user:password@host:587` — STARTTLS (required: a server that does not offer it is refused);
- `smtps://user:password@host:465` — TLS from the first byte;
- the query: `from=club@example.com` (the sender address; else the user name when it is an address),
  `name=…` (the sender's display name, else the club's sender name the message carries),
  `starttls=0` (plain SMTP: only for a test server on loopback, never on the Internet),
  `cafile=/path/ca.pem` (a private CA to trust, for a test server or a company relay).
User name and password are percent-decoded; the password is never printed (`SmtpConfig.__repr__`).

Each message is multipart/alternative: the text as written (UTF-8, Persian intact) and the same text as
simple HTML (right to left when it is Persian). Its Message-ID is made from the outbox message's id, so a
message sent again after a crash carries the same Message-ID (mail systems that see one twice may drop the
second; SMTP itself has no idempotency key: the window is between the server's "250 OK" to DATA and the
outbox recording it, as small as it can be). A marketing message (`unsubscribe_url`) carries RFC 8058's
`List-Unsubscribe: <url>` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.

Errors: a 4xx reply, a dropped connection, a timeout, a TLS or authentication failure (a setting to fix:
the message waits for it rather than being lost) are worth another try; a 5xx reply to the message
(a refused recipient or content) is the message's end."""

from __future__ import annotations

import html
import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from sync.server.messages.providers.base import Outgoing, ProviderError, Sent

URL_ENV = "BASHGAH_SMTP_URL"
UNSUBSCRIBE_LABEL = "لغو اشتراک · Unsubscribe"  # the footer's link, when the text does not show it already
TIMEOUT_S = 30.0
_PERSIAN = re.compile(r"[\u0600-\u06FF]")
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9.\-_]")


class SmtpUrlError(ValueError):
    """BASHGAH_SMTP_URL is not a usable SMTP URL (the message says why, without the password)."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: Literal["starttls", "tls", "plain"]
    sender: str
    name: str = ""
    user: str = ""
    password: str = field(default="", repr=False)
    cafile: str | None = None

    def __repr__(self) -> str:
        secret = ", password='***'" if self.password else ""
        return (
            f"SmtpConfig(host={self.host!r}, port={self.port}, security={self.security!r}, "
            f"sender={self.sender!r}, user={self.user!r}{secret})"
        )


def parse_url(url: str) -> SmtpConfig:
    """The settings BASHGAH_SMTP_URL names; SmtpUrlError when it names none."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise SmtpUrlError("BASHGAH_SMTP_URL is not a URL (smtp://user:password@host:587)") from None
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise SmtpUrlError("BASHGAH_SMTP_URL must be smtp://user:password@host:587 or smtps://…:465")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    user = unquote(parts.username or "")
    security: Literal["starttls", "tls", "plain"] = "tls" if parts.scheme == "smtps" else "starttls"
    if security == "starttls" and query.get("starttls", "1").lower() in ("0", "no", "false", "off"):
        security = "plain"
    password = unquote(parts.password or "")
    if not (user + password).isascii():  # smtplib's AUTH sends ASCII only; say so now, not at each send
        raise SmtpUrlError("BASHGAH_SMTP_URL: the SMTP client takes user names and passwords in ASCII only")
    sender = query.get("from") or (user if "@" in user else "")
    if "@" not in sender:
        raise SmtpUrlError("BASHGAH_SMTP_URL names no sender address: add ?from=club@example.com")
    return SmtpConfig(
        host=parts.hostname,
        port=port or (465 if security == "tls" else 587),
        security=security,
        sender=sender,
        name=query.get("name", ""),
        user=user,
        password=password,
        cafile=query.get("cafile") or None,
    )


def message_id(key: str, sender: str) -> str:
    """The Message-ID an outbox message always gets: its id at the sender's domain."""
    domain = sender.rpartition("@")[2] or "bashgah.invalid"
    return f"<{_ID_UNSAFE.sub('-', key)}.bashgah@{domain}>"


def compose(config: SmtpConfig, message: Outgoing) -> EmailMessage:
    mail = EmailMessage()
    local, _, domain = config.sender.partition("@")
    mail["From"] = Address(display_name=config.name or message.sender_name, username=local, domain=domain)
    mail["To"] = message.recipient
    mail["Subject"] = message.subject or message.sender_name or config.name
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    mail["Message-ID"] = message_id(message.key, config.sender)
    if message.unsubscribe_url:
        mail["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    footer = ""
    if message.unsubscribe_url and message.unsubscribe_url not in message.body:  # the link shown, once
        footer = f"\n\n{UNSUBSCRIBE_LABEL}: {message.unsubscribe_url}"
    mail.set_content(message.body + footer, charset="utf-8")
    mail.add_alternative(_html(message, bool(footer)), subtype="html", charset="utf-8")
    return mail


def _html(message: Outgoing, footer: bool) -> str:
    rtl = bool(_PERSIAN.search(message.body))
    paragraphs = "".join(
        f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in message.body.split("\n\n") if p.strip()
    )
    if footer and message.unsubscribe_url:
        url = html.escape(message.unsubscribe_url, quote=True)
        paragraphs += f'<p><small><a href="{url}">{html.escape(UNSUBSCRIBE_LABEL)}</a></small></p>'
    lang, direction = ("fa", "rtl") if rtl else ("en", "ltr")
    return f'<!DOCTYPE html><html lang="{lang}" dir="{direction}"><body>{paragraphs}</body></html>'


@dataclass
class Smtp:
    config: SmtpConfig
    timeout_s: float = TIMEOUT_S
    name: str = "smtp"
    channel: Literal["email"] = "email"
    per_second: float = 2.0  # a relay's usual pace; a club's mail is not bulk enough to need more

    def send(self, message: Outgoing) -> Sent:
        mail = compose(self.config, message)
        try:
            with self._connect() as client:
                refused = client.send_message(
                    mail, from_addr=self.config.sender, to_addrs=[message.recipient]
                )
                reply = client.noop()
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            said = "; ".join(f"{code} {_text(text)}" for code, text in error.recipients.values())
            raise ProviderError(
                f"smtp: recipient refused: {said}", retry=all(400 <= c < 500 for c in codes)
            ) from None
        except smtplib.SMTPAuthenticationError as error:
            raise ProviderError(f"smtp: authentication refused: {error.smtp_code}", retry=True) from None
        except smtplib.SMTPResponseException as error:
            code = error.smtp_code
            raise ProviderError(
                f"smtp: {code} {_text(error.smtp_error)}", retry=not 500 <= code < 600
            ) from None
        except smtplib.SMTPNotSupportedError as error:
            raise ProviderError(f"smtp: {error}", retry=True) from None
        except (smtplib.SMTPException, OSError) as error:  # OSError: refused, reset, TLS, timeouts
            raise ProviderError(f"smtp: {type(error).__name__}: {error}", retry=True) from None
        if refused:  # a partial refusal cannot happen with one recipient; said so if it ever does
            raise ProviderError(f"smtp: refused {refused}", retry=False)
        return Sent(
            provider_id=str(mail["Message-ID"]), answer=f"accepted by {self.config.host} ({reply[0]})"
        )

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        context = ssl.create_default_context(cafile=config.cafile)
        client: smtplib.SMTP
        if config.security == "tls":
            client = smtplib.SMTP_SSL(config.host, config.port, timeout=self.timeout_s, context=context)
        else:
            client = smtplib.SMTP(config.host, config.port, timeout=self.timeout_s)
        try:
            client.ehlo()
            if config.security == "starttls":
                client.starttls(context=context)  # SMTPNotSupportedError when the server does not offer it
                client.ehlo()
            if config.user:
                client.login(config.user, config.password)
        except BaseException:
            client.close()
            raise
        return client

    def __repr__(self) -> str:
        return f"Smtp({self.config!r})"


def _text(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return " ".join(text.split())[:200]


def from_env(env: Mapping[str, str]) -> Smtp | None:
    """The adapter BASHGAH_SMTP_URL configures, or None when it is not set; SmtpUrlError when it is wrong."""
    url = (env.get(URL_ENV) or "").strip()
    return Smtp(parse_url(url)) if url else None
