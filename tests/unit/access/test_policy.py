"""The access policy as a table: each role under each policy, and what a masked statement keeps."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from waterbill.access.policy import Decision, Policy, Role, decide, mask_fin, role_of
from waterbill.calendar import Window, YearMonth
from waterbill.statement.domain import (
    Address,
    BillingHistory,
    InvoiceLine,
    Statement,
    Subscriber,
    build_statement,
    mask_statement,
)

HOLDER = "5ZK3LRT"


@pytest.mark.parametrize(
    ("policy", "role", "expected"),
    [
        ("masked-for-others", "holder", Decision("full", "holder", "holder")),
        ("masked-for-others", "authorised", Decision("full", "authorised", "authorised")),
        ("masked-for-others", "admin", Decision("full", "admin", "admin")),
        ("masked-for-others", "other", Decision("masked", "other", "not_holder")),
        ("holder-only", "holder", Decision("full", "holder", "holder")),
        ("holder-only", "authorised", Decision("full", "authorised", "authorised")),
        ("holder-only", "admin", Decision("full", "admin", "admin")),
        ("holder-only", "other", Decision("refused", "other", "not_holder")),
    ],
)
def test_each_role_under_each_policy(policy: Policy, role: Role, expected: Decision) -> None:
    assert decide(policy=policy, role=role) == expected


def test_the_holder_is_the_holder_even_when_also_an_admin() -> None:
    assert role_of(viewer_fin=HOLDER, holder_fin=HOLDER, is_admin=True, is_authorised=False) == (
        "holder"
    )
    assert role_of(viewer_fin="7ABCD12", holder_fin=HOLDER, is_admin=False, is_authorised=True) == (
        "authorised"
    )
    assert role_of(
        viewer_fin="7ABCD12", holder_fin=HOLDER, is_admin=False, is_authorised=False
    ) == ("other")


def test_a_fin_is_masked_to_its_ends() -> None:
    assert mask_fin("5ZK3LRT") == "5Z****T"


def _statement() -> Statement:
    subscriber = Subscriber(
        code="0104410203",
        holder_fin=HOLDER,
        surname="Hüseynov",
        name="Qorxmaz",
        patronymic="Əli oğlu",
        address=Address("Bakı", "Bakı", "Nəsimi", "Füzuli küç.", "12", "34"),
        persons_served=4,
        water_service=True,
        wastewater_service=False,
        meter_type="mechanical",
        tariff_zone="baku_absheron",
        category="population",
        status="active",
    )
    line = InvoiceLine(
        YearMonth(2026, 10), "water", Decimal("7.000"), Decimal("0.70"), Decimal("4.90"), "meter"
    )
    history = BillingHistory(
        subscriber=subscriber,
        window=Window.ending(date(2026, 11, 26)),
        invoices=[line],
        payments=[],
        invoiced_before=Decimal("1.00"),
        paid_before=Decimal("0.00"),
    )
    return build_statement(history)


def test_a_masked_statement_keeps_the_amount_due_and_reduces_the_person() -> None:
    full = _statement()
    masked = mask_statement(full, reason="not_holder")
    person = masked.subscriber
    assert f"{person.name} {person.surname}" == "Q. H."
    assert person.patronymic == ""
    assert person.holder_fin == ""
    assert person.persons_served is None
    assert person.address.text == "Bakı, Nəsimi r."
    assert (person.address.street, person.address.building, person.address.apartment) == (
        "",
        "",
        None,
    )
    assert masked.masked
    assert masked.masked_reason == "not_holder"
    # Norm-billed amounts and consumption tell how many persons live there: only what is due.
    assert masked.months == ()
    assert masked.totals.invoiced == masked.totals.paid == Decimal("0.00")
    assert masked.closing_balance == full.closing_balance == Decimal("5.90")
    assert person.code == full.subscriber.code
