"""The instance's background task: the availability heartbeat and the flush of its counts."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import anyio
from anyio.lowlevel import RunVar

from waterbill.ops.threads import own_threads
from waterbill.performance.recorder import Recorder

T = TypeVar("T")
# One thread of its own: a write stuck on a lost database neither takes a request's thread nor
# an operations probe's, and the next tick waits for it instead of piling up beside it.
_THREAD: RunVar[anyio.CapacityLimiter] = RunVar("waterbill_performance_thread")

log = logging.getLogger("waterbill.performance")

# On the way out the last counts get this long to reach the database.
FINAL_FLUSH_TIMEOUT = 5.0


async def _in_own_thread(work: Callable[[], T]) -> T:
    limiter = own_threads(_THREAD, 1)
    return await anyio.to_thread.run_sync(work, abandon_on_cancel=True, limiter=limiter)


@asynccontextmanager
async def flushing(recorder: Recorder, *, interval: float) -> AsyncIterator[None]:
    """Every ``interval`` seconds while the block runs, and a last flush when it ends."""

    async def loop() -> None:
        while True:
            with anyio.move_on_after(max(interval, 2.0)):
                await _in_own_thread(recorder.tick)
            await anyio.sleep(interval)

    async with anyio.create_task_group() as group:
        group.start_soon(loop)
        try:
            yield
        finally:
            group.cancel_scope.cancel()
    with anyio.move_on_after(FINAL_FLUSH_TIMEOUT, shield=True):
        if not await _in_own_thread(recorder.flush):
            pending = recorder.pending()
            log.warning("performance figures lost on shutdown", extra={"pending": pending})
