"""Schemathesis over the whole OpenAPI schema, through real HTTP: no 5xx, answers match the schema.

Each operation is driven by Hypothesis directly (schemathesis' pytest loader does not work with
pytest 9), with a bounded number of examples so the suite stays fast.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import Engine

from tests.factories import add_invoice, add_subscriber
from tests.functional.ops.conftest import ServeOps

EXAMPLES_PER_OPERATION = 30


def fuzz_every_operation(base_url: str, headers: dict[str, str] | None = None) -> list[str]:
    """Call every operation with generated input; return the operations that were exercised."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    exercised = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            # A subscriber code is typed as a string; which strings are codes is a business rule
            # answered 422 malformed_code, not a schema-valid request wrongly rejected.
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        check()
        exercised.append(f"{operation.method.upper()} {operation.path}")
    return exercised


def test_no_input_makes_the_api_fail_or_break_its_schema(
    serve_ops: ServeOps, engine: Engine
) -> None:
    with engine.begin() as db:
        sid = add_subscriber(db, surname="<script>alert(1)</script>", name="'; DROP TABLE x; --")
        add_invoice(db, sid, "2026-10")
    with serve_ops(rate_limit_ip_requests=100_000) as url:
        exercised = fuzz_every_operation(url)
    assert "GET /api/v1/statements/{code}" in exercised
