"""``POST /api/v1/payments`` over real HTTP to the real app under uvicorn, on both engines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import Engine, func, select

from tests.support.factories.billing import add_invoice, add_subscriber
from tests.support.live_server import LiveServer
from waterbill import clock
from waterbill.auth.devidp.service import access_token, citizen_claims
from waterbill.billing.tables import payments
from waterbill.calendar import BAKU, baku_month
from waterbill.ingest.channels import add_channel, revoke_channel

# An hour ago in Baku, so that the payment is in the statement's window whenever the test runs.
PAID_AT = (clock.now() - timedelta(hours=1)).replace(microsecond=0)
LAST_MONTH = str(baku_month(PAID_AT).shift(-1))
BODY = {
    "payment_id": "T-2026-000451",
    "subscriber_code": "0104410203",
    "paid_at": PAID_AT.astimezone(BAKU).isoformat(),
    "amount": "12.50",
    "reverses": None,
}


FIN = "5ZK3LRT"


@pytest.fixture
def client(live_server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_server.url, timeout=10) as client:
        yield client


@pytest.fixture
def key(engine: Engine) -> str:
    with engine.begin() as db:
        subscriber_id = add_subscriber(db, holder_fin=FIN)
        add_invoice(db, subscriber_id, LAST_MONTH)
        return add_channel(db=db, name="kapitalbank")


def _citizen_token(server: LiveServer) -> str:
    with server.engine.connect() as db:
        claims = citizen_claims(db=db, fin=FIN, method="asan_imza")
    return access_token(server.settings, claims=claims)


def test_a_new_payment_is_created_and_is_on_the_statement_right_after(
    client: httpx.Client, key: str, live_server: LiveServer
) -> None:
    bearer = {"Authorization": f"Bearer {_citizen_token(live_server)}"}
    before = client.get("/api/v1/statements/0104410203", headers=bearer).json()

    response = client.post("/api/v1/payments", json=BODY, headers={"X-Api-Key": key})

    assert response.status_code == 201
    assert response.json() | {"received_at": None} == {
        "payment_id": "T-2026-000451",
        "channel": "kapitalbank",
        "subscriber_code": "0104410203",
        "paid_at": PAID_AT.isoformat().replace("+00:00", "Z"),
        "amount": "12.50",
        "reverses": None,
        "received_at": None,
    }
    after = client.get("/api/v1/statements/0104410203", headers=bearer).json()
    assert (before["totals"]["paid"], after["totals"]["paid"]) == ("0.00", "12.50")
    assert after["closing_balance"] == "-7.60"  # 4.90 invoiced, 12.50 paid
    assert after["balance_kind"] == "advance"


def test_the_same_request_twice_gives_the_same_answer_and_one_payment(
    client: httpx.Client, key: str, engine: Engine
) -> None:
    first = client.post("/api/v1/payments", json=BODY, headers={"X-Api-Key": key})
    second = client.post("/api/v1/payments", json=BODY, headers={"X-Api-Key": key})

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == first.json()
    with engine.connect() as db:
        assert db.scalar(select(func.count()).select_from(payments)) == 1


def test_the_same_payment_id_with_another_amount_is_a_conflict(
    client: httpx.Client, key: str
) -> None:
    client.post("/api/v1/payments", json=BODY, headers={"X-Api-Key": key})
    response = client.post(
        "/api/v1/payments", json=BODY | {"amount": "21.50"}, headers={"X-Api-Key": key}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "payment_conflict"


def test_a_second_reversal_of_a_payment_is_refused_with_409_in_the_channels_language(
    client: httpx.Client, key: str, engine: Engine
) -> None:
    client.post("/api/v1/payments", json=BODY, headers={"X-Api-Key": key})
    reversal = BODY | {"payment_id": "R-1", "amount": "-12.50", "reverses": BODY["payment_id"]}
    first = client.post("/api/v1/payments", json=reversal, headers={"X-Api-Key": key})
    assert first.status_code == 201
    said = {}
    for language in ("az", "en", "ru"):
        again = client.post(
            "/api/v1/payments",
            json=reversal | {"payment_id": "R-2", "amount": "-0.01"},
            headers={"X-Api-Key": key, "Accept-Language": language},
        )
        assert again.status_code == 409
        assert (again.json()["error"]["code"], again.json()["error"]["field"]) == (
            "reversal_exceeds_payment",
            "amount",
        )
        said[language] = again.json()["error"]["message"]
    assert said == {
        "az": "amount: ödənişin ləğvləri onun məbləğindən çox ola bilməz: "
        "ödənilib 12,50\xa0₼, artıq ləğv edilib 12,50\xa0₼",
        "en": "amount: the reversals of a payment cannot exceed it: "
        "paid AZN12.50, already reversed AZN12.50",
        "ru": "amount: отмены платежа не могут превышать его сумму: "
        "оплачено 12,50\xa0AZN, уже отменено 12,50\xa0AZN",
    }
    with engine.connect() as db:
        assert db.scalar(select(func.sum(payments.c.amount))) == 0


@pytest.mark.parametrize("header", [{}, {"X-Api-Key": "not-a-key"}])
def test_a_missing_or_wrong_key_is_refused_with_401(
    client: httpx.Client, key: str, header: dict[str, str]
) -> None:
    response = client.post("/api/v1/payments", json=BODY, headers=header)
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "unauthenticated",
            "message": "API açarı yoxdur, səhvdir və ya ləğv edilib.",
        }
    }


def test_a_revoked_key_is_refused_with_401(client: httpx.Client, key: str, engine: Engine) -> None:
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
    client: httpx.Client, key: str, change: dict[str, object], field: str, code: str
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
    client: httpx.Client, key: str
) -> None:
    response = client.post(
        "/api/v1/payments",
        content=b"amount=12.50",
        headers={"X-Api-Key": key, "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_value"


def test_a_body_not_sent_as_application_json_is_refused_with_415(
    client: httpx.Client, key: str, engine: Engine
) -> None:
    headers = {"X-Api-Key": key, "Accept-Language": "en"}
    for content_type in (None, "text/plain", "application/x-www-form-urlencoded", "text/json"):
        sent = headers if content_type is None else headers | {"Content-Type": content_type}
        response = client.post("/api/v1/payments", content=json.dumps(BODY), headers=sent)
        assert response.status_code == 415
        assert response.json() == {
            "error": {
                "code": "unsupported_media_type",
                "message": "the body must be JSON, sent with Content-Type: application/json",
            }
        }
    accepted = client.post(
        "/api/v1/payments",
        content=json.dumps(BODY),
        headers=headers | {"Content-Type": "application/json; charset=utf-8"},
    )
    assert accepted.status_code == 201
    with engine.connect() as db:
        assert db.scalar(select(func.count()).select_from(payments)) == 1


def test_a_body_that_names_a_field_twice_is_refused_whichever_value_would_win(
    client: httpx.Client, key: str, engine: Engine
) -> None:
    body = json.dumps(BODY)[:-1] + ', "amount": "1250.00"}'
    response = client.post(
        "/api/v1/payments",
        content=body,
        headers={"X-Api-Key": key, "Content-Type": "application/json", "Accept-Language": "ru"},
    )
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "duplicate_key",
        "field": "amount",
        "message": "amount: это поле встречается в теле запроса больше одного раза",
    }
    with engine.connect() as db:
        assert db.scalar(select(func.count()).select_from(payments)) == 0


def test_a_payment_id_with_a_control_or_bidi_character_is_refused(
    client: httpx.Client, key: str
) -> None:
    for payment_id in ("T-1\u202egpj.exe", "T-1\x00", "T-1\x1b[31m", "T\u200b-1", "T-\u2066-1"):
        response = client.post(
            "/api/v1/payments",
            json=BODY | {"payment_id": payment_id, "reverses": None},
            headers={"X-Api-Key": key, "Accept-Language": "az"},
        )
        assert response.status_code == 422
        assert response.json()["error"] == {
            "code": "invalid_value",
            "field": "payment_id",
            "message": "payment_id: idarəedici və ya mətn istiqaməti simvolları ola bilməz",
        }


def test_an_amount_above_the_ceiling_is_refused_naming_it(
    client: httpx.Client, key: str, live_server: LiveServer
) -> None:
    assert live_server.settings.payment_max_amount == Decimal("10000.00")
    response = client.post(
        "/api/v1/payments",
        json=BODY | {"amount": "10000.01"},
        headers={"X-Api-Key": key, "Accept-Language": "az"},
    )
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "amount_above_ceiling",
        "field": "amount",
        "message": "amount: kanal vasitəsilə bir ödəniş ən çox 10.000,00\xa0₼ ola bilər",
    }
    at_the_ceiling = BODY | {"amount": "10000.00"}
    response = client.post("/api/v1/payments", json=at_the_ceiling, headers={"X-Api-Key": key})
    assert response.status_code == 201


def test_the_openapi_schema_describes_the_body_the_answers_and_the_key(
    client: httpx.Client,
) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/payments"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"payment_id", "subscriber_code", "paid_at", "amount"}
    assert {"200", "201", "401", "409", "422"} <= set(operation["responses"])
    assert any(p["name"] == "X-Api-Key" and p["in"] == "header" for p in operation["parameters"])


@pytest.mark.parametrize(
    ("language", "unauthenticated", "in_the_future"),
    [
        (
            "ru",
            "Ключ API отсутствует, неверен или отозван.",
            "paid_at: время платежа не может быть в будущем",
        ),
        (
            "en-GB,en;q=0.8",
            "The API key is missing, wrong or revoked.",
            "paid_at: a payment cannot be",
        ),
        ("de, ru;q=0.5", "Ключ API отсутствует, неверен или отозван.", "paid_at: время платежа"),
        ("", "API açarı yoxdur, səhvdir və ya ləğv edilib.", "paid_at: ödəniş vaxtı gələcəkdə"),
    ],
)
def test_refusals_speak_the_language_the_channel_accepts(
    client: httpx.Client, key: str, language: str, unauthenticated: str, in_the_future: str
) -> None:
    headers = {"Accept-Language": language}
    refused = client.post("/api/v1/payments", json=BODY, headers=headers)
    assert refused.json()["error"]["message"] == unauthenticated
    invalid = client.post(
        "/api/v1/payments",
        json=BODY | {"paid_at": "2099-01-01T00:00:00Z"},
        headers=headers | {"X-Api-Key": key},
    )
    assert invalid.status_code == 422
    assert invalid.json()["error"]["message"].startswith(in_the_future)
