"""Structured JSON logs, one object a line, each carrying the request id of its request.

Only what a log call passes is written: callers log the subscriber code or the citizen's
pseudonymous id at most, never names, FINs, addresses or amounts.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Attributes every LogRecord has; anything else came from ``extra=`` and is written as a field.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's copy of the message with terminal colour codes
}


def new_request_id(incoming: str | None) -> str:
    """Keep a caller's plain, short id (so a trace crosses systems); otherwise make one."""
    if incoming and _VALID_REQUEST_ID.match(incoming):
        return incoming
    # A request id only has to be unique, not secret: drawn from the process's own generator
    # (seeded from the OS at start), so that no request pays a getrandom() system call on the
    # event loop's thread, which hands the GIL to a busy request thread (issue 9's profile).
    return f"{_ids.getrandbits(128):032x}"


_ids = random.Random()  # noqa: S311 -- an identifier, not a secret
# A forked worker must not repeat its parent's sequence.
os.register_at_fork(after_in_child=_ids.seed)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _stamp_request_id() -> None:
    """Every record remembers the request it was written in, even if formatted later elsewhere."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "stamps_request_id", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        current = request_id.get()
        if current is not None:
            record.request_id = current
        return record

    factory.stamps_request_id = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


_stamp_request_id()


def configure_logging(level: str = "INFO") -> None:
    """JSON on stderr for the whole process; uvicorn's own access log is replaced by ours."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
