"""Announced maintenance: switched on and off by the operator, seen by every app instance.

The database is the truth, so every instance agrees; each instance re-reads it at most once a
second, which keeps the check cheap on every request. Maintenance ends by itself at the announced
time: the regulation accepts only announced interruptions, so an overrun must be announced again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from waterbill import clock
from waterbill.calendar import BAKU
from waterbill.db.database import Database
from waterbill.ops import repository
from waterbill.ops.dberrors import is_database_error
from waterbill.ops.threads import run_ops_check

log = logging.getLogger("waterbill.ops.maintenance")

MESSAGE_MAX_LENGTH = 500


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    until: datetime
    message: str | None
    announced_at: datetime

    def is_active(self, now: datetime) -> bool:
        return now < self.until

    def seconds_left(self, now: datetime) -> int:
        return max(1, int((self.until - now).total_seconds() + 0.999))


def parse_until(text: str, *, now: datetime) -> datetime:
    """``2026-12-01 06:00`` is Baku time; an explicit offset (``…+00:00``) is respected."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not a date and time: {text!r} (expected YYYY-MM-DD HH:MM)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=BAKU)
    moment = moment.astimezone(UTC)
    if moment <= now:
        raise ValueError("the end of the maintenance must be in the future")
    return moment


def announce_maintenance(
    *, database: Database, until: datetime, message: str | None, now: datetime
) -> MaintenanceWindow:
    if until.tzinfo is None:
        raise ValueError("until must be timezone-aware")
    text = (message or "").strip() or None
    if text is not None and len(text) > MESSAGE_MAX_LENGTH:
        raise ValueError(f"the message is longer than {MESSAGE_MAX_LENGTH} characters")
    with database.write() as db:
        repository.save_maintenance(db, until=until, message=text, announced_at=now)
    return MaintenanceWindow(until=until.astimezone(UTC), message=text, announced_at=now)


def end_maintenance(*, database: Database) -> bool:
    """Switch maintenance off; False when none was on."""
    with database.write() as db:
        return repository.delete_maintenance(db)


def current_maintenance(*, engine: Engine, now: datetime) -> MaintenanceWindow | None:
    with engine.connect() as connection:
        row = repository.read_maintenance(connection)
    if row is None:
        return None
    window = MaintenanceWindow(until=row[0], message=row[1], announced_at=row[2])
    return window if window.is_active(now) else None


@dataclass(frozen=True, slots=True)
class Probe:
    """What one look at the database found: whether it answered, and any maintenance."""

    database_ok: bool
    maintenance: MaintenanceWindow | None


class MaintenanceMonitor:
    """Per-instance view of the maintenance state, re-read from the database at most every ``ttl``.

    The probe doubles as an outage detector: while it fails, requests are answered 503 at once
    instead of each one waiting for a connection that will not come.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        ttl: float = 1.0,
        timeout: float = 1.2,
        clock: Callable[[], datetime] = clock.now,
    ) -> None:
        self.engine = engine
        self.ttl = ttl
        self.timeout = timeout
        self.clock = clock
        self._probe: Probe | None = None
        self._probed_at = 0.0
        self._lock: anyio.Lock | None = None
        self._database_ok: bool | None = None

    def _fresh(self) -> Probe | None:
        if self._probe is not None and time.monotonic() - self._probed_at < self.ttl:
            return self._probe
        return None

    def expire(self) -> None:
        """Look again on the next request, serving the last answer meanwhile (a slow request
        is a hint, not proof, that the database is gone)."""
        self._probed_at = float("-inf")

    def report_failure(self) -> None:
        """A request met the database gone: answer the next ones 503 at once until the next look."""
        down = Probe(database_ok=False, maintenance=None)
        self._note_transition(down)
        self._probe, self._probed_at = down, time.monotonic()

    def _read(self) -> Probe:
        try:
            window = current_maintenance(engine=self.engine, now=self.clock())
        except SQLAlchemyError as error:
            if is_database_error(error):
                return Probe(database_ok=False, maintenance=None)
            # Reachable but not as expected (say, not migrated): /readyz reports it; pages that
            # need no database keep working, and the others fail on their own terms.
            log.error("maintenance state unreadable", extra={"error": type(error).__name__})
            return Probe(database_ok=True, maintenance=None)
        return Probe(database_ok=True, maintenance=window)

    async def probe(self, *, recheck: float | None = None) -> Probe:
        """The state as of at most ``ttl`` ago.

        ``recheck`` asks for a new look, waiting at most that long (also for a look already under
        way) rather than settling for the last answer.
        """
        fresh = self._fresh()
        if fresh is not None:
            return fresh
        if self._lock is None:
            self._lock = anyio.Lock()
        if recheck is None and self._lock.locked() and self._probe is not None:
            # Another request is already looking; a second-old answer beats waiting for it.
            return self._probe
        timeout = self.timeout if recheck is None else recheck
        started = time.monotonic()
        acquired = False
        with anyio.move_on_after(timeout):
            await self._lock.acquire()
            acquired = True
        if not acquired:
            # Another look has held the lock for the whole wait: the database is not answering.
            return Probe(database_ok=False, maintenance=None)
        try:
            fresh = self._fresh()
            if fresh is not None:
                return fresh
            result = Probe(database_ok=False, maintenance=None)
            # A black-holed database would hold the thread; the answer must not wait for it.
            with anyio.move_on_after(max(0.05, timeout - (time.monotonic() - started))):
                result = await run_ops_check(self._read)
            self._note_transition(result)
            self._probe, self._probed_at = result, time.monotonic()
            return result
        finally:
            self._lock.release()

    def _note_transition(self, result: Probe) -> None:
        if result.database_ok == self._database_ok:
            return
        if not result.database_ok:
            log.warning("database unreachable")
        elif self._database_ok is False:
            log.warning("database reachable again")
        self._database_ok = result.database_ok
