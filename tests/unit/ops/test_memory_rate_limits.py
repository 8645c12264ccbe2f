"""The in-process counters: a request budget per key and a ceiling on distinct members."""

from __future__ import annotations

import anyio

from waterbill.ops.ratelimit import MemoryBackend, RateLimiter


def _limiter(**overrides: int) -> RateLimiter:
    values = {"codes_per_citizen": 3, "codes_window": 3600, "ip_requests": 5, "ip_window": 60}
    values.update(overrides)
    return RateLimiter(MemoryBackend(), **values)


def test_the_ip_budget_allows_exactly_the_configured_requests_then_says_when_to_retry() -> None:
    async def scenario() -> None:
        limiter = _limiter()
        decisions = [await limiter.check_ip("10.0.0.1") for _ in range(6)]
        assert [d.allowed for d in decisions] == [True] * 5 + [False]
        assert 1 <= decisions[-1].retry_after <= 60
        assert (await limiter.check_ip("10.0.0.2")).allowed

    anyio.run(scenario)


def test_a_citizen_may_look_up_the_same_codes_again_but_not_a_new_one_beyond_the_limit() -> None:
    async def scenario() -> None:
        limiter = _limiter()
        for code in ("111111", "222222", "333333"):
            assert (await limiter.check_code_lookup(citizen_id="c_a", code=code)).allowed
        assert (await limiter.check_code_lookup(citizen_id="c_a", code="111111")).allowed
        refused = await limiter.check_code_lookup(citizen_id="c_a", code="444444")
        assert not refused.allowed
        assert 3500 <= refused.retry_after <= 3600
        assert (await limiter.check_code_lookup(citizen_id="c_b", code="444444")).allowed

    anyio.run(scenario)


def test_the_window_expires_and_the_budget_returns() -> None:
    async def scenario() -> None:
        limiter = _limiter(codes_per_citizen=1, codes_window=1)
        assert (await limiter.check_code_lookup(citizen_id="c_a", code="111111")).allowed
        assert not (await limiter.check_code_lookup(citizen_id="c_a", code="222222")).allowed
        await anyio.sleep(1.05)
        assert (await limiter.check_code_lookup(citizen_id="c_a", code="222222")).allowed

    anyio.run(scenario)


def test_the_memory_backend_forgets_the_oldest_keys_instead_of_growing_without_bound() -> None:
    async def scenario() -> None:
        backend = MemoryBackend(max_keys=100)
        for n in range(1000):
            await backend.count(f"ip:{n}", window=60)
        assert len(backend._counters) == 100

    anyio.run(scenario)
