"""A development mail sink: an SMTP server on loopback that keeps every mail as a ``.eml`` file.

``make run`` starts it beside the web server and the worker; open the files with any mail
program, or read them as text. Never for production: it accepts mail from anyone who reaches it.
"""

from __future__ import annotations

import itertools
import threading
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from waterbill import clock


class FolderHandler:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self._lock:
            number = next(self._numbers)
        stamp = clock.now().strftime("%Y%m%dT%H%M%S")
        path = self.directory / f"{stamp}-{number:04d}.eml"
        path.write_bytes(envelope.original_content or envelope.content)
        print(f"mail-sink: {path}", flush=True)
        return "250 OK"


def mail_sink(directory: Path, *, host: str = "127.0.0.1", port: int = 8025) -> Controller:
    controller = Controller(FolderHandler(directory), hostname=host, port=port)
    controller.start()
    return controller
