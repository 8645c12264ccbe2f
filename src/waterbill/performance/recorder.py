"""Counting on the hot path without writing on it: each instance adds up in memory and writes
its sums every few seconds, in one transaction, and once more when it stops.

A request only increments a dictionary under a lock (microseconds). The flush adds every pending
count to its daily row (``count = count + n``), so any number of instances add up; a flush that
fails (the database is away) keeps its counts for the next one, so an outage loses nothing but
what a crash of the process itself would.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import Counter
from datetime import date, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from waterbill import clock
from waterbill.calendar import baku_date
from waterbill.ops.maintenance import current_maintenance
from waterbill.performance import repository
from waterbill.performance.domain import STATEMENT_MS, STATEMENT_VIEW, latency_bucket
from waterbill.performance.repository import CountKey

log = logging.getLogger("waterbill.performance")

# Journeys waiting to be marked as having reached a statement; beyond this the oldest are dropped
# (only during a long outage, and only a completion figure is then a little low).
MAX_PENDING_JOURNEYS = 100_000
# Journeys this instance already marked: a citizen reading many statements costs one update.
MAX_REMEMBERED_JOURNEYS = 50_000


def journey_id(session_hash: str) -> str:
    """The journey of a session, under a name that does not lead back to the session row."""
    return hashlib.sha256(f"journey:{session_hash}".encode()).hexdigest()


class Recorder:
    """One per process: ``record`` from any thread, ``flush`` from one."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._counts: Counter[CountKey] = Counter()
        self._reached: dict[str, None] = {}
        self._remembered: dict[str, None] = {}
        self._last_minute: tuple[datetime, str] | None = None

    # On the hot path ---------------------------------------------------------------------------

    def record(
        self,
        event: str,
        *,
        channel: str = "",
        outcome: str = "",
        count: int = 1,
        day: date | None = None,
    ) -> None:
        """Add ``count`` events of this kind to today's figures (written at the next flush)."""
        key = (day or clock.today(), event, channel, outcome)
        with self._lock:
            self._counts[key] += count

    def statement_view(self, *, channel: str, outcome: str, seconds: float | None) -> None:
        """A statement asked for: its outcome and, when shown, its response time."""
        today = clock.today()
        with self._lock:
            self._counts[(today, STATEMENT_VIEW, channel, outcome)] += 1
            if outcome == "shown" and seconds is not None:
                bucket = latency_bucket(seconds * 1000)
                self._counts[(today, STATEMENT_MS, channel, bucket)] += 1

    def journey_reached(self, session_hash: str) -> None:
        """The session's sign-in went on to a statement (counted once per sign-in)."""
        identifier = journey_id(session_hash)
        with self._lock:
            if identifier in self._remembered:
                return
            self._reached[identifier] = None
            while len(self._reached) > MAX_PENDING_JOURNEYS:
                self._reached.pop(next(iter(self._reached)))

    # Off it --------------------------------------------------------------------------------------

    def pending(self) -> int:
        with self._lock:
            return sum(self._counts.values()) + len(self._reached)

    def flush(self) -> bool:
        """Write what is pending; False (and everything kept) when the database refused."""
        with self._flush_lock:
            with self._lock:
                counts, self._counts = self._counts, Counter()
                reached, self._reached = self._reached, {}
            if not counts and not reached:
                return True
            try:
                with self.engine.begin() as db:
                    repository.add_counts(db, counts.items())
                    repository.mark_journeys_reached(db, list(reached))
            except SQLAlchemyError as error:
                reason = type(error).__name__
                log.warning("performance figures not written yet", extra={"error": reason})
                with self._lock:
                    self._counts.update(counts)
                    for identifier in reached:
                        self._reached.setdefault(identifier, None)
                return False
            with self._lock:
                self._remembered.update(reached)
                while len(self._remembered) > MAX_REMEMBERED_JOURNEYS:
                    self._remembered.pop(next(iter(self._remembered)))
            return True

    def heartbeat(self, now: datetime | None = None) -> bool:
        """Mark this minute as served, or as closed for maintenance, if the database answers.

        One write per minute per instance; a minute no instance could mark was an outage.
        """
        now = now or clock.now()
        minute = now.replace(second=0, microsecond=0)
        try:
            window = current_maintenance(engine=self.engine, now=now)
            state = "maintenance" if window is not None else "up"
            if self._last_minute == (minute, state):
                return True
            with self.engine.begin() as db:
                repository.mark_minute(db, minute=minute, day=baku_date(minute), state=state)
        except SQLAlchemyError:
            return False
        self._last_minute = (minute, state)
        return True

    def tick(self) -> None:
        """What the background task does every few seconds."""
        self.heartbeat()
        self.flush()
