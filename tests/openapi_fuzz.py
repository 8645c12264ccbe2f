"""Schemathesis over every operation of an app's OpenAPI schema, through real HTTP.

Each operation is driven by Hypothesis directly (schemathesis' pytest loader does not work with
pytest 9), with a bounded number of examples so the suite stays fast.
"""

from __future__ import annotations

from collections.abc import Sequence

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import CheckFunction


def fuzz_every_operation(
    base_url: str,
    headers: dict[str, str] | None = None,
    *,
    examples: int,
    config: schemathesis.Config | None = None,
    excluded_checks: Sequence[CheckFunction] = (),
) -> list[str]:
    """Call every operation with generated input; return the operations that were exercised."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", config=config)
    exercised = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, excluded_checks=list(excluded_checks))

        check()
        exercised.append(f"{operation.method.upper()} {operation.path}")
    return exercised
