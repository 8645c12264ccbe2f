"""`waterbill statement` prints the statement of the contract, from the real store."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from click.testing import CliRunner
from sqlalchemy import Engine

from tests.support.factories.billing import add_invoice, add_payment, add_subscriber
from waterbill.cli import main


def test_the_json_has_the_contract_shape_and_balances(engine: Engine, cli: CliRunner) -> None:
    with engine.begin() as db:
        sid = add_subscriber(db)
        add_invoice(db, sid, "2025-12", "water", "7.000")
        add_invoice(db, sid, "2025-12", "wastewater", "7.000")
        add_payment(db, sid, datetime(2026, 1, 10, 8, tzinfo=UTC), "7.00")
        add_invoice(db, sid, "2024-01", "water", "4.714")  # 3.30 before the window

    result = cli.invoke(main, ["statement", "0104410203", "--as-of", "2026-11-26", "--json"])

    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["subscriber"]["address"]["text"] == "Bakı, Nəsimi r., Füzuli küç. 12, m. 34"
    assert body["subscriber"]["services"] == ["water", "wastewater"]
    assert body["as_of"] == "2026-11-26"
    assert body["reporting_period"] == "2025-12"
    assert len(body["months"]) == 12
    december = body["months"][0]
    assert december["water"] == {"consumption_m3": "7.000", "amount": "4.90", "basis": "meter"}
    assert december["invoiced"] == "7.00"
    assert body["months"][1]["paid"] == "7.00"
    assert body["months"][-1] == {
        "period": "2026-11",
        "billed": False,
        "water": None,
        "wastewater": None,
        "consumption_m3": "0.000",
        "invoiced": "0.00",
        "paid": "0.00",
        "recalculated": False,
        "amount_before_recalculation": None,
        "estimated": False,
    }
    assert body["opening_balance"] == "3.30"
    assert body["closing_balance"] == "3.30"
    assert body["balance_kind"] == "debt"
    assert body["masked"] is False


def test_the_text_shows_money_the_azerbaijani_way(engine: Engine, cli: CliRunner) -> None:
    with engine.begin() as db:
        sid = add_subscriber(db)
        add_invoice(db, sid, "2026-10", "water", "2000.000")  # 1.400,00 ₼

    result = cli.invoke(main, ["statement", "0104410203", "--as-of", "2026-11-26"])

    assert result.exit_code == 0, result.output
    assert "Hüseynov Qorxmaz Əli oğlu" in result.output
    assert "1.400,00\xa0₼" in result.output
    assert "oktyabr 2026" in result.output


def test_an_unknown_code_exits_non_zero(engine: Engine, cli: CliRunner) -> None:
    del engine
    result = cli.invoke(main, ["statement", "9999999999"])
    assert result.exit_code == 2


def test_a_refusal_is_printed_in_azerbaijani_not_as_a_raw_code(
    engine: Engine, cli: CliRunner
) -> None:
    result = cli.invoke(main, ["statement", "9999999999"])
    assert result.exit_code == 2
    assert "9999999999 kodlu abonent tapılmadı" in result.output
    assert "unknown_code" not in result.output


def test_a_refusal_with_json_prints_the_api_error_object_and_exits_non_zero(
    engine: Engine, cli: CliRunner
) -> None:
    with engine.begin() as db:
        add_subscriber(db, code="0104410207", category="non_population")
    result = cli.invoke(main, ["statement", "0104410207", "--json"])
    assert result.exit_code == 2
    refusal = json.loads(result.stdout)
    assert refusal["error"]["code"] == "not_household"
    assert "0104410207" in refusal["error"]["message"]
