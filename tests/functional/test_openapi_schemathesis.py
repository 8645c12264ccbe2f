"""Schemathesis over the whole OpenAPI schema of the real app: no 5xx, no answer off its schema.

Signed in with a bearer token of the bundled provider (an admin, so the staff operations run too)
and a payment channel's key, with schemathesis' default checks on and a bounded number of
examples, so that the whole schema takes seconds.
"""

from __future__ import annotations

import pytest
import schemathesis

from tests.factories import add_invoice, add_subscriber
from tests.functional.conftest import STAFF_FIN, LiveServer
from tests.functional.signin import bearer
from tests.openapi_fuzz import fuzz_every_operation
from waterbill import clock
from waterbill.ingest.service import add_channel
from waterbill.statement.domain import YearMonth

pytestmark = pytest.mark.fuzz

EXAMPLES_PER_OPERATION = 12
# Every default check, as they come. One nuance: a request body the schema allows may still break
# a rule that depends on the data (a payment for a subscriber that does not exist, a reversal
# with a positive amount, a month outside the statement): the POST operations answer those 422
# with their stable error code, which the schema documents. Parameters in the path are typed
# exactly, so there a schema-valid value must be accepted (200, or 404 for no such code).
CONFIG = schemathesis.Config.from_dict(
    {
        "operations": [
            {
                "include-method": "POST",
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]
                    }
                },
            }
        ]
    }
)
FIN = STAFF_FIN
CODE = "0104410203"


def _credentials(server: LiveServer) -> dict[str, str]:
    """The holder of a household with a bill, an admin too, and a payment channel's key."""
    with server.engine.begin() as db:
        sid = add_subscriber(db, code=CODE, holder_fin=FIN)
        add_invoice(db, sid, str(YearMonth.of(clock.today()).shift(-1)), "water")
        key = add_channel(db=db, name="kapital-bank")
    return {**bearer(server.settings, FIN), "X-Api-Key": key}


def test_no_input_makes_the_api_fail_or_answer_off_its_schema(
    staff_live_server: LiveServer,
) -> None:
    server = staff_live_server
    headers = _credentials(server)
    exercised = fuzz_every_operation(
        server.url, headers, examples=EXAMPLES_PER_OPERATION, config=CONFIG
    )
    assert "GET /api/v1/statements/{code}" in exercised
    assert "POST /api/v1/payments" in exercised
    assert "POST /api/v1/admin/disputes/{reference}/answer" in exercised
