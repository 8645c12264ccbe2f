"""``load_demo_data``: generate and write demo data in one transaction, streaming by chunks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from queue import Empty, Full, Queue

from waterbill.db.database import Database
from waterbill.demo import repository
from waterbill.demo.generator import Chunk, DemoCitizen, DemoGenerator, DemoPlan


class DatabaseNotEmpty(RuntimeError):
    """Demo data goes into an empty database only: its codes would collide with real ones."""

    def __init__(self, subscribers: int) -> None:
        super().__init__(f"the database already holds {subscribers} subscribers")
        self.subscribers = subscribers


@dataclass(frozen=True, slots=True)
class DemoResult:
    loaded: bool
    existing_subscribers: int
    counts: dict[str, int]
    citizens: tuple[DemoCitizen, ...]


def load_demo_data(
    *,
    database: Database,
    subscribers: int,
    seed: int,
    months: int,
    as_of: date,
    norm_m3_per_person: Decimal,
    if_empty: bool = False,
    chunk_size: int = 500,
) -> DemoResult:
    """Load demo data; with ``if_empty`` a database that has subscribers is left as it is.

    Raises DatabaseNotEmpty when subscribers exist and ``if_empty`` is not set.
    """
    plan = DemoPlan(
        subscribers=subscribers,
        seed=seed,
        months=months,
        as_of=as_of,
        norm_m3_per_person=norm_m3_per_person,
        chunk_size=chunk_size,
    )
    generator = DemoGenerator(plan)
    with database.write() as db:
        existing = repository.count_subscribers(db)
        if existing:
            if if_empty:
                return DemoResult(False, existing, {}, ())
            raise DatabaseNotEmpty(existing)
        # One transaction: a failed load leaves nothing behind, so it can simply be run again.
        for chunk in _prefetched(generator.chunks()):
            repository.write_chunk(db, chunk)
        repository.finish(db)
    return DemoResult(True, 0, dict(generator.counts), tuple(generator.citizens))


_DONE = object()


def _prefetched(chunks: Iterator[Chunk], depth: int = 2) -> Iterator[Chunk]:
    """Generate the next chunks in a thread while the database ingests the current one.

    At most ``depth`` chunks wait in the queue, so memory stays flat; an error in the generator
    is raised here, and leaving early stops the thread.
    """
    queue: Queue[object] = Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> None:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.1)
                return
            except Full:
                continue

    def produce() -> None:
        try:
            for chunk in chunks:
                if stop.is_set():
                    return
                put(chunk)
            put(_DONE)
        except BaseException as error:  # handed to the consumer, which raises it
            put(error)

    thread = threading.Thread(target=produce, name="demo-data-generator", daemon=True)
    thread.start()
    try:
        while True:
            try:
                item = queue.get(timeout=0.1)
            except Empty:
                if not thread.is_alive() and queue.empty():
                    raise RuntimeError("the demo data generator stopped unexpectedly") from None
                continue
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, Chunk)
            yield item
    finally:
        stop.set()
        thread.join()
