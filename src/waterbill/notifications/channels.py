"""The channels behind the outbox: SMTP (the standard library's smtplib through a thin adapter)
and an HTTP SMS gateway. Each says clearly whether a message was handed over.

A sender calls ``before_handover`` at the last moment a message can still be held back (before
SMTP DATA, before the gateway's POST); the worker commits the row as ``sending`` there. What fails
before that point is retried; what fails after it is *uncertain* and never sent again.
"""

from __future__ import annotations

import email.policy
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Protocol
from urllib.parse import unquote, urlsplit

import httpx

from waterbill import clock


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to one address, with the idempotency key of its outbox row."""

    to: str
    subject: str
    text: str
    html: str
    key: str
    language: str
    headers: dict[str, str] = field(default_factory=dict)


# SMTP's line endings, with RFC 5322's line limit (998) rather than the 78 it recommends: a
# List-Unsubscribe URL longer than 78 characters would otherwise be written as an RFC 2047 encoded
# word, which mail programs do not read as a link (RFC 2369 and 8058 want a plain <URL>).
MAIL_POLICY = email.policy.SMTP.clone(max_line_length=998)


class NotDelivered(Exception):
    """Certainly not delivered: refused, or never handed over. ``permanent``: do not retry."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason = reason[:200]
        self.permanent = permanent


class DeliveryUnknown(Exception):
    """Handed over, then no clear answer: it may have been delivered."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:200]


class ClaimLost(Exception):
    """Another worker took the row over (this one outlived its lease): send nothing."""


class Sender(Protocol):
    def send(self, message: Outgoing, before_handover: Callable[[], bool]) -> None: ...

    def close(self) -> None: ...


def _smtp_failure(code: int, stage: str) -> NotDelivered:
    # 5xx is a permanent refusal (no such mailbox); 4xx and anything else is worth a retry.
    return NotDelivered(f"{stage} {code}", permanent=500 <= code < 600)


class SmtpSender:
    """``smtp://[user:pass@]host:port`` (STARTTLS when offered) or ``smtps://…`` (TLS)."""

    def __init__(self, url: str, *, mail_from: str, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(
                "WATERBILL_SMTP_URL must be smtp://host:port or smtps://user:pass@host:port"
            )
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.mail_from = mail_from
        self.envelope_from = parseaddr(mail_from)[1]
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def _session(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.tls:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        smtp.ehlo()
        if not self.tls and smtp.has_extn("starttls"):
            smtp.starttls(context=context)
            smtp.ehlo()
        if self.username is not None:
            smtp.login(self.username, self.password or "")
        self._smtp = smtp
        return smtp

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    def _reset(self) -> None:
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def build(self, message: Outgoing) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.mail_from
        mail["To"] = message.to
        mail["Subject"] = message.subject
        mail["Date"] = format_datetime(clock.now())
        mail["Auto-Submitted"] = "auto-generated"
        for name, value in message.headers.items():
            mail[name] = value
        mail.set_content(message.text)
        mail.add_alternative(message.html, subtype="html")
        # After the parts: setting the content replaces every Content-* header.
        mail["Content-Language"] = message.language
        return mail

    def send(self, message: Outgoing, before_handover: Callable[[], bool]) -> None:
        content = self.build(message).as_bytes(policy=MAIL_POLICY)
        try:
            smtp = self._session()
            code, _ = smtp.mail(self.envelope_from)
            if code != 250:
                self._reset()
                raise _smtp_failure(code, "MAIL")
            code, _ = smtp.rcpt(message.to)
            if code not in (250, 251):
                self._reset()
                raise _smtp_failure(code, "RCPT")
        except (smtplib.SMTPException, OSError) as error:
            self._drop()
            code = getattr(error, "smtp_code", 0)
            raise NotDelivered(f"{type(error).__name__} {code}".strip(), permanent=False) from None
        if not before_handover():
            self._reset()
            raise ClaimLost()
        try:
            # smtplib raises on the reply to DATA itself, and returns the reply to the message.
            code, _ = smtp.data(content)
        except smtplib.SMTPDataError as error:
            self._reset()
            raise _smtp_failure(error.smtp_code, "DATA") from None
        except (smtplib.SMTPException, OSError) as error:
            self._drop()
            raise DeliveryUnknown(type(error).__name__) from None
        if code != 250:
            # The server answered: it refused the message, so it was not delivered.
            self._reset()
            raise _smtp_failure(code, "DATA")


class HttpSmsSender:
    """POSTs ``{"to", "text", "reference"}`` as JSON with an ``Idempotency-Key`` header.

    A gateway that honours the key drops a repeat, so a 5xx or a 429 is retried; a timeout after
    the request went out is uncertain like an SMTP connection lost during DATA.
    """

    def __init__(self, url: str, *, token: str = "", timeout: float = 10.0) -> None:
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError("WATERBILL_SMS_GATEWAY_URL must be an http(s) URL")
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url
        self.timeout = timeout
        self._client: httpx.Client | None = None

    @property
    def client(self) -> httpx.Client:
        """One connection pool per delivery round; ``close`` ends the round, not the sender."""
        if self._client is None:
            self._client = httpx.Client(timeout=self.timeout, headers=self.headers)
        return self._client

    def send(self, message: Outgoing, before_handover: Callable[[], bool]) -> None:
        if not before_handover():
            raise ClaimLost()
        body = {"to": message.to, "text": message.text, "reference": message.key}
        try:
            response = self.client.post(
                self.url, json=body, headers={"Idempotency-Key": message.key}
            )
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            raise NotDelivered(type(error).__name__, permanent=False) from None
        except httpx.HTTPError as error:
            raise DeliveryUnknown(type(error).__name__) from None
        status = response.status_code
        if 200 <= status < 300:
            return
        raise NotDelivered(
            f"HTTP {status}", permanent=400 <= status < 500 and status not in (408, 429)
        )

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()
