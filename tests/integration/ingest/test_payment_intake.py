"""Channels and ``record_payment``: the importer's rules, one payment at a time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from tests.integration.ingest.conftest import NOW, ImportFn
from tests.support.factories.billing import add_subscriber
from tests.support.factories.feeds import payment_row, write_csv
from waterbill.billing.tables import payments
from waterbill.config import Settings
from waterbill.ingest.channels import (
    ChannelExists,
    InvalidApiKey,
    UnknownChannel,
    add_channel,
    authenticate_channel,
    revoke_channel,
)
from waterbill.ingest.intake import record_payment
from waterbill.ingest.problems import Rejected
from waterbill.ingest.tables import channels
from waterbill.statement.service import get_statement


def _pay(engine: Engine, **overrides: object) -> object:
    values: dict[str, object] = {
        "channel": "kapitalbank",
        "payment_id": "T-1",
        "subscriber_code": "0104410203",
        "paid_at": datetime(2026, 11, 26, 9, 15, tzinfo=UTC),
        "amount": Decimal("12.50"),
        "reverses": None,
        "now": NOW,
    }
    values.update(overrides)
    with engine.begin() as db:
        return record_payment(db=db, **values)  # type: ignore[arg-type]


def test_a_channel_key_is_stored_only_as_its_digest_and_stops_working_when_revoked(
    engine: Engine,
) -> None:
    with engine.begin() as db:
        key = add_channel(db=db, name="kapitalbank")
    with engine.connect() as db:
        stored = db.execute(select(channels)).one()
        assert authenticate_channel(db=db, key=key) == "kapitalbank"
    assert len(key) >= 43  # 256 bits in URL-safe base64
    assert key not in stored.key_hash
    assert len(stored.key_hash) == 64

    with engine.begin() as db:
        revoke_channel(db=db, name="kapitalbank")
    with engine.connect() as db, pytest.raises(InvalidApiKey):
        authenticate_channel(db=db, key=key)


def test_a_channel_name_is_registered_once_and_only_an_active_one_can_be_revoked(
    engine: Engine,
) -> None:
    with engine.begin() as db:
        first = add_channel(db=db, name="azerpost")
    with engine.begin() as db, pytest.raises(ChannelExists):
        add_channel(db=db, name="azerpost")
    with engine.begin() as db:
        revoke_channel(db=db, name="azerpost")
    with engine.begin() as db, pytest.raises(UnknownChannel):
        revoke_channel(db=db, name="azerpost")
    with engine.begin() as db:
        second = add_channel(db=db, name="azerpost")
    with engine.connect() as db:
        assert authenticate_channel(db=db, key=second) == "azerpost"
        with pytest.raises(InvalidApiKey):
            authenticate_channel(db=db, key=first)


def test_a_payment_is_recorded_once_and_shows_on_the_statement_at_once(engine: Engine) -> None:
    with engine.begin() as db:
        add_subscriber(db)
    first = _pay(engine)
    again = _pay(engine, now=datetime(2026, 11, 26, 10, 5, tzinfo=UTC))

    assert first.created  # type: ignore[attr-defined]
    assert not again.created  # type: ignore[attr-defined]
    assert again.received_at == first.received_at  # type: ignore[attr-defined]
    with engine.connect() as db:
        assert db.scalar(select(func.count()).select_from(payments)) == 1
        statement = get_statement(db=db, code="0104410203", as_of=date(2026, 11, 26))
    assert statement.months[-1].paid == Decimal("12.50")


def test_the_same_payment_id_with_other_content_is_refused_and_the_first_stays(
    engine: Engine,
) -> None:
    with engine.begin() as db:
        add_subscriber(db)
    _pay(engine)
    with pytest.raises(Rejected) as refusal:
        _pay(engine, amount=Decimal("125.00"))
    assert refusal.value.first.code == "payment_conflict"
    with engine.connect() as db:
        assert db.scalar(select(payments.c.amount)) == Decimal("12.50")


def test_record_payment_refuses_what_the_importer_refuses(
    engine: Engine, tmp_path: Path, run_import: ImportFn
) -> None:
    with engine.begin() as db:
        add_subscriber(db)
    _pay(engine, payment_id="T-1")
    cases = [
        ({"amount": Decimal("-1.00")}, "amount", "invalid_value"),
        ({"amount": Decimal("1.001")}, "amount", "invalid_value"),
        ({"subscriber_code": "12AB"}, "subscriber_code", "invalid_value"),
        ({"subscriber_code": "0999999999"}, "subscriber_code", "unknown_subscriber"),
        ({"paid_at": datetime(2026, 11, 27, tzinfo=UTC)}, "paid_at", "invalid_value"),
        ({"amount": Decimal("-1.00"), "reverses": "T-404"}, "reverses", "unknown_reversed_payment"),
    ]
    for number, (overrides, column, code) in enumerate(cases):
        with pytest.raises(Rejected) as refusal:
            _pay(engine, payment_id=f"X-{number}", **overrides)
        assert (refusal.value.first.column, refusal.value.first.code) == (column, code)

    # The same rows in a file are refused for the same reasons.
    rows = [
        payment_row("X-0", amount="-1.00"),
        payment_row("X-3", code="0999999999"),
        payment_row("X-5", amount="-1.00", reverses="T-404"),
    ]
    summary = run_import("payments", write_csv(tmp_path / "p.csv", "payments", rows))
    assert summary.rejected == 3
    with engine.connect() as db:
        assert db.scalar(select(func.count()).select_from(payments)) == 1


def test_a_reversal_through_the_intake_cancels_the_payment_on_the_statement(
    engine: Engine,
) -> None:
    with engine.begin() as db:
        add_subscriber(db)
    _pay(engine, payment_id="T-1")
    _pay(engine, payment_id="T-1-R", amount=Decimal("-12.50"), reverses="T-1")
    with engine.connect() as db:
        statement = get_statement(db=db, code="0104410203", as_of=date(2026, 11, 26))
    assert statement.months[-1].paid == Decimal("0.00")


def test_the_intake_ceiling_is_a_setting_and_binds_the_intake_only(
    engine: Engine, tmp_path: Path, run_import: ImportFn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATERBILL_PAYMENT_MAX_AMOUNT", "50.00")
    ceiling = Settings().payment_max_amount
    assert ceiling == Decimal("50.00")
    with engine.begin() as db:
        add_subscriber(db)
    _pay(engine, payment_id="T-1", amount=Decimal("50.00"), max_amount=ceiling)
    with pytest.raises(Rejected) as refusal:
        _pay(engine, payment_id="T-2", amount=Decimal("50.01"), max_amount=ceiling)
    assert refusal.value.first.code == "amount_above_ceiling"
    assert refusal.value.first.message("en") == "a payment through the intake is at most AZN50.00"
    # The billing system's files are not the channels' requests: no ceiling there.
    rows = [payment_row("T-3", amount="75.00")]
    assert run_import("payments", write_csv(tmp_path / "p.csv", "payments", rows)).loaded == 1
