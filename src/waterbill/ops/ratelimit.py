"""Limits against enumeration and abuse: per citizen (distinct subscriber codes) and per IP.

With ``WATERBILL_REDIS_URL`` the counters live in Redis, updated by one Lua script each so that
every app instance sees the same count atomically; otherwise they live in this process. A Redis
outage must not take the service down: the limiter falls back to its in-process counters for a
while and logs the fact once.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Receive, Scope, Send

from waterbill.errors import RateLimited
from waterbill.ops.responses import send_refusal

log = logging.getLogger("waterbill.ops.ratelimit")


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    retry_after: int = 0


class Backend(Protocol):
    async def count(self, key: str, *, window: int) -> tuple[int, float]:
        """Count one more event under ``key``; return the count and seconds the window has left."""

    async def add_distinct(self, key: str, member: str, *, limit: int, window: int) -> Decision:
        """Admit ``member`` unless ``limit`` others were already seen within ``window``."""


class MemoryBackend:
    """Counters in this process; bounded so that a flood of keys cannot exhaust memory."""

    def __init__(self, *, max_keys: int = 100_000) -> None:
        self.max_keys = max_keys
        self._counters: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._members: OrderedDict[str, dict[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def _trim(self, table: OrderedDict[str, Any]) -> None:
        while len(table) > self.max_keys:
            table.popitem(last=False)

    async def count(self, key: str, *, window: int) -> tuple[int, float]:
        now = time.monotonic()
        with self._lock:
            count, reset_at = self._counters.get(key, (0, now + window))
            if reset_at <= now:
                count, reset_at = 0, now + window
            self._counters[key] = (count + 1, reset_at)
            self._counters.move_to_end(key)
            self._trim(self._counters)
            return count + 1, reset_at - now

    async def add_distinct(self, key: str, member: str, *, limit: int, window: int) -> Decision:
        now = time.monotonic()
        with self._lock:
            seen = {m: t for m, t in self._members.get(key, {}).items() if t > now - window}
            self._members[key] = seen
            self._members.move_to_end(key)
            self._trim(self._members)
            if member in seen:
                return Decision(True)
            if len(seen) >= limit:
                return Decision(False, math.ceil(min(seen.values()) + window - now))
            seen[member] = now
            return Decision(True)


# Fixed window: the first hit starts the window's clock.
_COUNT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}
"""

# Sliding window over distinct members, timed by the Redis server so instances' clocks don't matter.
_DISTINCT = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return {1, 0} end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, tonumber(oldest[2]) + window - now}
end
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], window)
return {1, 0}
"""


class RedisBackend:
    """Shared counters; while Redis is unreachable, the in-process counters stand in."""

    def __init__(self, url: str, *, prefix: str = "waterbill:rl:", cooldown: float = 10.0) -> None:
        self.url = url
        self.prefix = prefix
        self.cooldown = cooldown
        self.fallback = MemoryBackend()
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = (
            weakref.WeakKeyDictionary()
        )
        self._down_until = 0.0

    def _client(self) -> aioredis.Redis:
        # An asyncio connection belongs to the loop that opened it: one client per running loop.
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = aioredis.Redis.from_url(
                self.url, socket_timeout=0.25, socket_connect_timeout=0.25
            )
            self._clients[loop] = client
        return client

    def _usable(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, error: RedisError) -> None:
        if self._usable():
            log.warning(
                "redis unreachable, rate limits fall back to this instance's counters",
                extra={"error": type(error).__name__, "retry_in_s": self.cooldown},
            )
        self._down_until = time.monotonic() + self.cooldown
        self._clients.pop(asyncio.get_running_loop(), None)

    async def count(self, key: str, *, window: int) -> tuple[int, float]:
        if self._usable():
            try:
                raw = await self._client().eval(_COUNT, 1, self.prefix + key, window * 1000)
                return int(raw[0]), max(int(raw[1]), 0) / 1000
            except RedisError as error:
                self._failed(error)
        return await self.fallback.count(key, window=window)

    async def add_distinct(self, key: str, member: str, *, limit: int, window: int) -> Decision:
        if self._usable():
            try:
                raw = await self._client().eval(
                    _DISTINCT, 1, self.prefix + key, member, window * 1000, limit
                )
                return Decision(bool(int(raw[0])), math.ceil(int(raw[1]) / 1000))
            except RedisError as error:
                self._failed(error)
        return await self.fallback.add_distinct(key, member, limit=limit, window=window)


class RateLimiter:
    def __init__(
        self,
        backend: Backend,
        *,
        codes_per_citizen: int,
        codes_window: int,
        ip_requests: int,
        ip_window: int,
    ) -> None:
        self.backend = backend
        self.codes_per_citizen = codes_per_citizen
        self.codes_window = codes_window
        self.ip_requests = ip_requests
        self.ip_window = ip_window

    async def check_ip(self, ip: str) -> Decision:
        count, left = await self.backend.count(f"ip:{ip}", window=self.ip_window)
        if count > self.ip_requests:
            return Decision(False, max(1, math.ceil(left)))
        return Decision(True)

    async def check_code_lookup(self, *, citizen_id: str, code: str) -> Decision:
        return await self.backend.add_distinct(
            f"codes:{citizen_id}", code, limit=self.codes_per_citizen, window=self.codes_window
        )


async def enforce_code_lookup(*, limiter: RateLimiter, citizen_id: str, code: str) -> None:
    """Raise ``RateLimited`` when the citizen has looked up too many distinct codes lately."""
    decision = await limiter.check_code_lookup(citizen_id=citizen_id, code=code)
    if not decision.allowed:
        log.info(
            "subscriber code lookups limited",
            extra={"citizen": citizen_id, "retry_after_s": decision.retry_after},
        )
        raise RateLimited(retry_after=decision.retry_after)


def retry_minutes(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))


class IpRateLimitMiddleware:
    """A general request budget per client IP (behind a proxy: uvicorn --proxy-headers)."""

    def __init__(
        self, app: ASGIApp, *, limiter: RateLimiter, exempt_prefixes: tuple[str, ...]
    ) -> None:
        self.app = app
        self.limiter = limiter
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        ip = client[0] if client else "unknown"
        decision = await self.limiter.check_ip(ip)
        if decision.allowed:
            await self.app(scope, receive, send)
            return
        await send_refusal(
            scope,
            send,
            status=429,
            code="rate_limited",
            retry_after=decision.retry_after,
            minutes=retry_minutes(decision.retry_after),
        )
