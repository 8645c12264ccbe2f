"""Rate-limit counters shared through the real Redis, and a Redis outage that fails open."""

from __future__ import annotations

import uuid

import anyio
import pytest

from tests.support.network import free_port
from waterbill.ops.ratelimit import RateLimiter, RedisBackend


def _limiter(url: str, prefix: str, **overrides: int) -> RateLimiter:
    values = {"codes_per_citizen": 3, "codes_window": 3600, "ip_requests": 4, "ip_window": 60}
    values.update(overrides)
    return RateLimiter(RedisBackend(url, prefix=prefix), **values)


def test_two_instances_share_the_distinct_code_count_of_a_citizen(redis_url: str) -> None:
    prefix = f"waterbill:test:{uuid.uuid4().hex}:"
    first, second = _limiter(redis_url, prefix), _limiter(redis_url, prefix)

    async def scenario() -> None:
        assert (await first.check_code_lookup(citizen_id="c_1", code="111111")).allowed
        assert (await second.check_code_lookup(citizen_id="c_1", code="222222")).allowed
        assert (await first.check_code_lookup(citizen_id="c_1", code="333333")).allowed
        assert (await second.check_code_lookup(citizen_id="c_1", code="111111")).allowed
        refused = await second.check_code_lookup(citizen_id="c_1", code="444444")
        assert not refused.allowed
        assert 3590 <= refused.retry_after <= 3600
        refused_too = await first.check_code_lookup(citizen_id="c_1", code="555555")
        assert not refused_too.allowed

    anyio.run(scenario)


def test_two_instances_share_one_ip_budget(redis_url: str) -> None:
    prefix = f"waterbill:test:{uuid.uuid4().hex}:"
    first, second = _limiter(redis_url, prefix), _limiter(redis_url, prefix)

    async def scenario() -> list[bool]:
        results = []
        for limiter in (first, second, first, second, first):
            results.append((await limiter.check_ip("192.0.2.7")).allowed)
        return results

    assert anyio.run(scenario) == [True, True, True, True, False]


def test_an_unreachable_redis_fails_open_to_local_counters_and_logs_it_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limiter = _limiter(f"redis://127.0.0.1:{free_port()}/0", "waterbill:test:")

    async def scenario() -> list[bool]:
        return [(await limiter.check_ip("192.0.2.8")).allowed for _ in range(6)]

    with caplog.at_level("WARNING", logger="waterbill.ops.ratelimit"):
        assert anyio.run(scenario) == [True, True, True, True, False, False]
    warnings = [r for r in caplog.records if "redis unreachable" in r.getMessage()]
    assert len(warnings) == 1
