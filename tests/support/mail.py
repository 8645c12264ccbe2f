"""A real SMTP server in the test process (aiosmtpd), and helpers around the notification outbox."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import Engine, select

from tests.support.network import free_port
from waterbill.notifications.tables import notification_outbox

CONFIRM_LINK = re.compile(r"/notifications/confirm/(\S+)")


class Inbox:
    """Keeps every mail it accepts; ``refuse`` answers that many DATA commands with a 451."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        # The bytes as they came over SMTP, for what a parser would hide (encoded words).
        self.raw: list[bytes] = []
        self.refuse = 0
        self.on_data: Callable[[], None] | None = None
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            if self.refuse > 0:
                self.refuse -= 1
                return "451 4.3.0 Try again later"
            message = message_from_bytes(envelope.content, policy=policy.default)
            assert isinstance(message, EmailMessage)
            self.messages.append(message)
            self.raw.append(envelope.content)
        if self.on_data is not None:
            # The server has the mail; the sender never hears back (kill -9 between send and mark).
            self.on_data()
        return "250 OK"

    def texts(self) -> list[str]:
        return [part_text(message, "plain") for message in self.messages]


def part_text(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None, f"no text/{subtype} part"
    return str(part.get_content())


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, str]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


def outbox_rows(engine: Engine) -> list[Any]:
    with engine.connect() as db:
        return list(db.execute(select(notification_outbox).order_by(notification_outbox.c.id)))
