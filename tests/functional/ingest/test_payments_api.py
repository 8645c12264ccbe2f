"""``POST /api/v1/payments`` over HTTP, with the real store behind it.

The web application is not on main yet, so the router is mounted on a bare FastAPI app here the
way the application will mount it (its ``Database`` in ``app.state.database``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from tests.factories import add_subscriber
from waterbill.billing.tables import payments
from waterbill.config import Settings
from waterbill.db.database import Database
from waterbill.ingest.api import router
from waterbill.ingest.service import add_channel, revoke_channel
from waterbill.statement.service import get_statement

BODY = {
    "payment_id": "T-2026-000451",
    "subscriber_code": "0104410203",
    "paid_at": "2026-11-20T09:15:00+04:00",
    "amount": "12.50",
    "reverses": None,
}


@pytest.fixture
def client(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    app = FastAPI()
    app.state.database = Database(settings)
    app.include_router(router)
    with TestClient(app) as client:
        yield client
    app.state.database.dispose()


@pytest.fixture
def key(engine: Engine) -> str:
    with engine.begin() as db:
        add_subscriber(db)
        return add_channel(db=db, name="kapitalbank")


def test_a_new_payment_is_created_and_is_on_the_statement_right_after(
    client: TestClient, key: str, engine: Engine
) -> None:
    response = client.post("/api/v1/payments", json=BODY, headers={"X-Api-Key": key})

    assert response.status_code == 201
    assert response.json() | {"received_at": None} == {
        "payment_id": "T-2026-000451",
        "channel": "kapitalbank",
        "subscriber_code": "0104410203",
        "paid_at": "2026-11-20T05:15:00Z",
        "amount": "12.50",
        "reverses": None,
        "received_at": None,
    }
    with engine.connect() as db:
        statement = get_statement(db=db, code="0104410203", as_of=date(2026, 11, 26))
    assert statement.months[-1].paid == Decimal("12.50")


def test_the_same_request_twice_gives_the_same_answer_and_one_payment(
    client: TestClient, key: str, engine: Engine
) -> None:
    first = client.post("/api/v1/payments", json=BODY, headers={"X-Api-Key": key})
    second = client.post("/api/v1/payments", json=BODY, headers={"X-Api-Key": key})

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == first.json()
    with engine.connect() as db:
        assert db.scalar(select(func.count()).select_from(payments)) == 1


def test_the_same_payment_id_with_another_amount_is_a_conflict(
    client: TestClient, key: str
) -> None:
    client.post("/api/v1/payments", json=BODY, headers={"X-Api-Key": key})
    response = client.post(
        "/api/v1/payments", json=BODY | {"amount": "21.50"}, headers={"X-Api-Key": key}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "payment_conflict"


@pytest.mark.parametrize("header", [{}, {"X-Api-Key": "not-a-key"}])
def test_a_missing_or_wrong_key_is_refused_with_401(
    client: TestClient, key: str, header: dict[str, str]
) -> None:
    response = client.post("/api/v1/payments", json=BODY, headers=header)
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "unauthenticated", "message": "API açarı yanlışdır və ya ləğv edilib"}
    }


def test_a_revoked_key_is_refused_with_401(client: TestClient, key: str, engine: Engine) -> None:
    with engine.begin() as db:
        revoke_channel(db=db, name="kapitalbank")
    response = client.post("/api/v1/payments", json=BODY, headers={"X-Api-Key": key})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"amount": "-5.00"}, "amount", "invalid_value"),
        ({"amount": "lots"}, "amount", "invalid_value"),
        ({"paid_at": "2099-01-01T00:00:00Z"}, "paid_at", "invalid_value"),
        ({"subscriber_code": "12AB"}, "subscriber_code", "invalid_value"),
        ({"subscriber_code": "0999999999"}, "subscriber_code", "unknown_subscriber"),
        ({"amount": "-5.00", "reverses": "T-404"}, "reverses", "unknown_reversed_payment"),
        ({"payment_id": None}, "payment_id", "invalid_value"),
        ({"colour": "red"}, "colour", "invalid_value"),
    ],
)
def test_an_invalid_body_is_refused_with_422_naming_the_field(
    client: TestClient, key: str, change: dict[str, object], field: str, code: str
) -> None:
    response = client.post(
        "/api/v1/payments",
        json=BODY | change,
        headers={"X-Api-Key": key, "Accept-Language": "en"},
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"].startswith(f"{field}: ")


def test_a_body_that_is_not_json_is_refused_in_the_error_shape(
    client: TestClient, key: str
) -> None:
    response = client.post("/api/v1/payments", content=b"amount=12.50", headers={"X-Api-Key": key})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_value"


def test_the_openapi_schema_describes_the_body_the_answers_and_the_key(
    client: TestClient,
) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/payments"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"payment_id", "subscriber_code", "paid_at", "amount"}
    assert {"200", "201", "401", "409", "422"} <= set(operation["responses"])
    assert any(p["name"] == "X-Api-Key" and p["in"] == "header" for p in operation["parameters"])
