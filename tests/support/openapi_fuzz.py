"""Schemathesis over every operation of an app's OpenAPI schema, through real HTTP.

Each operation is driven by Hypothesis directly (schemathesis' pytest loader does not work with
pytest 9), with a bounded number of examples so the suite stays fast.
"""

from __future__ import annotations

from collections.abc import Sequence

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import CheckFunction

# Every default check of schemathesis, as they come, on the real app. One nuance: a request body
# the schema allows may still break a rule that depends on the data (a payment for a subscriber
# that does not exist, a reversal with a positive amount, a month outside the statement, an e-mail
# address that is not one): the POST and PUT operations answer those 422 with their stable error
# code, which the schema documents. The parameters (subscriber code, dispute reference, month,
# status, export cursor) are typed exactly in the schema, so there a schema-valid value must be
# accepted (200, or 404 for no such code).
REAL_APP_CONFIG = schemathesis.Config.from_dict(
    {
        "operations": [
            {
                "include-method": method,
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]
                    }
                },
            }
            for method in ("POST", "PUT")
        ]
    }
)


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
