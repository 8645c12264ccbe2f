"""The threads of the operational checks, apart from the citizens' requests.

The request threads are as many as the pooled connections (waterbill.web.app), so under load every
one of them can be busy; a database probe queued behind them would time out and declare an outage
that is not there. The probes, readiness and metrics queries run on their own few threads instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio
from anyio.lowlevel import RunVar

T = TypeVar("T")

# One limiter per event loop, as anyio keeps its default one: a limiter is bound to the loop that
# first used it, and a process can run several loops one after another (the test suite does).
_OPS_THREADS: RunVar[anyio.CapacityLimiter] = RunVar("waterbill_ops_threads")


def own_threads(slot: RunVar[anyio.CapacityLimiter], count: int) -> anyio.CapacityLimiter:
    """The running loop's limiter of ``count`` threads kept in ``slot``, made on first use."""
    try:
        return slot.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(count)
        slot.set(limiter)
        return limiter


async def run_ops_check(check: Callable[[], T]) -> T:
    """``check()`` on an operations thread; a caller that gives up does not wait for it."""
    limiter = own_threads(_OPS_THREADS, 4)
    return await anyio.to_thread.run_sync(check, abandon_on_cancel=True, limiter=limiter)
