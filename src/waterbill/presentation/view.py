"""The statement as people read it, in one language: the same words for the page, PDF and CSV.

``statement_view`` turns a domain ``Statement`` into formatted rows (``mart 2026``,
``1.234,56 ₼``) with the month's explanations in plain words, so the three renderings never
disagree about a figure or a sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from waterbill.billing.domain import Service
from waterbill.calendar import Window, YearMonth
from waterbill.i18n.catalogs import negotiate, translations
from waterbill.i18n.formatting import format_money, format_month, format_number, format_volume
from waterbill.i18n.marker import _
from waterbill.presentation.explain import Note, explain
from waterbill.statement.domain import Statement

Gettext = Callable[[str], str]


SERVICE_NAMES: dict[str, str] = {
    "water": _("water supply"),
    "wastewater": _("wastewater"),
}
METER_NAMES: dict[str, str] = {
    "none": _("no meter (billed by the norm)"),
    "mechanical": _("mechanical meter"),
    "smart_card": _("smart-card meter"),
}
BALANCE_NAMES: dict[str, str] = {
    "debt": _("debt"),
    "advance": _("paid in advance"),
    "settled": _("nothing owed"),
}
LABELS: dict[str, str] = {
    "title": _("Water bills and payments for 12 months"),
    "code": _("Subscriber code"),
    "holder": _("Subscriber"),
    "address": _("Address"),
    "persons": _("Persons served"),
    "services": _("Services"),
    "meter": _("Meter"),
    "reporting_period": _("Reporting period"),
    "as_of": _("Date"),
    "month": _("Month"),
    "period": _("Period"),
    "water_m3": _("Water, m³"),
    "wastewater_m3": _("Wastewater, m³"),
    "invoiced": _("Invoiced"),
    "paid": _("Paid"),
    "balance": _("Balance at month end"),
    "notes": _("Why this amount"),
    "total": _("Total for 12 months"),
    "opening_balance": _("Balance at the start"),
    "closing_balance": _("Balance at the end"),
    "masked": _("Personal details are hidden: you are not the holder of this subscriber code."),
    "not_billed": _("not billed yet"),
    "verification_code": _("Verification code"),
    "verify_hint": _("Check that this document is genuine and unchanged at"),
    "balance_explained": _("A positive balance is a debt; a negative balance is paid in advance."),
    "caption": _("Invoiced consumption, invoiced amount and amount paid, month by month"),
    "charts": _("The same 12 months in charts; every figure is also in the table above."),
}


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    warning: bool = False


@dataclass(frozen=True, slots=True)
class MonthRow:
    period: YearMonth
    label: str
    billed: bool
    water_m3: str
    wastewater_m3: str
    invoiced: str
    paid: str
    balance: str
    balance_value: Decimal
    recalculated: bool
    estimated: bool
    possible_leak: bool
    notes: tuple[Sentence, ...]


@dataclass(frozen=True, slots=True)
class StatementView:
    locale: str
    statement: Statement
    labels: dict[str, str]
    code: str
    holder: str
    address: str
    persons: str
    services: str
    meter: str
    reporting_period: str
    as_of: str
    rows: tuple[MonthRow, ...]
    total_water_m3: str
    total_wastewater_m3: str
    total_invoiced: str
    total_paid: str
    opening_balance: str
    closing_balance: str
    balance_kind: str

    @property
    def header_items(self) -> tuple[tuple[str, str], ...]:
        """The header of regulation 3.4 as (label, value) pairs, in the order every format uses."""
        labels = self.labels
        return (
            (labels["code"], self.code),
            (labels["holder"], self.holder),
            (labels["address"], self.address),
            (labels["persons"], self.persons),
            (labels["services"], self.services),
            (labels["meter"], self.meter),
            (labels["reporting_period"], self.reporting_period),
            (labels["as_of"], self.as_of),
        )

    @property
    def masked(self) -> bool:
        return self.statement.masked

    @property
    def first_month(self) -> str:
        return format_month(Window.ending(self.statement.as_of).first, self.locale)

    @property
    def last_month(self) -> str:
        return format_month(Window.ending(self.statement.as_of).last, self.locale)

    @property
    def balance_items(self) -> tuple[tuple[str, str], ...]:
        """The balances as (label, value): masked, the amount due alone (``mask_statement``)."""
        closing = (self.labels["closing_balance"], f"{self.closing_balance} ({self.balance_kind})")
        if self.masked:
            return (closing,)
        return ((self.labels["opening_balance"], self.opening_balance), closing)


def month_end_balances(statement: Statement) -> tuple[Decimal, ...]:
    """What the household owes (positive) or has paid ahead (negative) when each month ends."""
    balance = statement.opening_balance
    balances = []
    for month in statement.months:
        balance += month.invoiced - month.paid
        balances.append(balance)
    return tuple(balances)


def statement_view(statement: Statement, locale: str) -> StatementView:
    locale = negotiate(locale)
    gettext = translations(locale).gettext
    subscriber = statement.subscriber
    notes = explain(statement)
    balances = month_end_balances(statement)

    def money(value: Decimal) -> str:
        return format_money(value, locale)

    def volume(value: Decimal) -> str:
        return format_volume(value, locale)

    rows = []
    for month, month_notes, balance in zip(statement.months, notes, balances, strict=True):
        rows.append(
            MonthRow(
                period=month.period,
                label=format_month(month.period, locale),
                billed=month.billed,
                water_m3=volume(month.water.consumption_m3) if month.water else "—",
                wastewater_m3=volume(month.wastewater.consumption_m3) if month.wastewater else "—",
                invoiced=money(month.invoiced) if month.billed else "—",
                paid=money(month.paid),
                balance=money(balance),
                balance_value=balance,
                recalculated=month.recalculated,
                estimated=month.estimated,
                possible_leak=any(note.is_warning for note in month_notes),
                notes=tuple(
                    Sentence(say(note, gettext, locale), note.is_warning) for note in month_notes
                ),
            )
        )

    def service_total(service: Service) -> str:
        if service not in subscriber.services:
            return "—"
        lines = [getattr(month, service) for month in statement.months]
        return volume(sum((line.consumption_m3 for line in lines if line), Decimal("0.000")))

    return StatementView(
        locale=locale,
        statement=statement,
        labels={key: gettext(text) for key, text in LABELS.items()},
        code=subscriber.code,
        holder=holder_name(
            subscriber.surname, subscriber.name, subscriber.patronymic, masked=statement.masked
        ),
        address=subscriber.address.text,
        persons=str(subscriber.persons_served) if subscriber.persons_served is not None else "—",
        services=", ".join(gettext(SERVICE_NAMES[service]) for service in subscriber.services)
        or "—",
        meter=gettext(METER_NAMES.get(subscriber.meter_type, subscriber.meter_type)),
        reporting_period=format_month(statement.reporting_period, locale)
        if statement.reporting_period
        else "—",
        as_of=statement.as_of.isoformat(),
        rows=tuple(rows),
        total_water_m3=service_total("water"),
        total_wastewater_m3=service_total("wastewater"),
        total_invoiced=money(statement.totals.invoiced),
        total_paid=money(statement.totals.paid),
        opening_balance=money(statement.opening_balance),
        closing_balance=money(statement.closing_balance),
        balance_kind=gettext(BALANCE_NAMES[statement.balance_kind]),
    )


def holder_name(surname: str, name: str, patronymic: str, *, masked: bool) -> str:
    """``Hüseynov Qorxmaz Əli oğlu``; masked, the initials the way they are read: ``Q. H.``."""
    parts = (name, surname) if masked else (surname, name, patronymic)
    return " ".join(part for part in parts if part)


def say(note: Note, gettext: Gettext, locale: str) -> str:
    """One note in plain words."""
    values = note.values

    def money(key: str) -> str:
        value = values[key]
        assert isinstance(value, Decimal)
        return format_money(value, locale)

    def volume(key: str) -> str:
        value = values[key]
        assert isinstance(value, Decimal)
        return format_volume(value, locale)

    def month(key: str) -> str:
        value = values[key]
        assert isinstance(value, YearMonth)
        return format_month(value, locale)

    def service() -> str:
        return gettext(SERVICE_NAMES[str(values["service"])])

    match note.kind:
        case "not_billed":
            return gettext("Not billed yet.")
        case "first_billed":
            return gettext("No earlier month in these 12 months to compare with.")
        case "amount_up":
            return gettext("%(delta)s more than in %(previous)s.") % dict(
                delta=money("delta"), previous=month("previous")
            )
        case "amount_down":
            return gettext("%(delta)s less than in %(previous)s.") % dict(
                delta=money("delta"), previous=month("previous")
            )
        case "amount_same":
            return gettext("The same amount as in %(previous)s.") % dict(previous=month("previous"))
        case "consumption_up":
            return gettext("You used more water: %(before)s m³ before, %(after)s m³ now.") % dict(
                before=volume("before"), after=volume("after")
            )
        case "consumption_down":
            return gettext("You used less water: %(before)s m³ before, %(after)s m³ now.") % dict(
                before=volume("before"), after=volume("after")
            )
        case "tariff_changed":
            return gettext(
                "The %(service)s tariff changed: %(before)s per m³ before, %(after)s now."
            ) % dict(service=service(), before=money("before"), after=money("after"))
        case "service_added":
            return gettext("A service was added to the bill: %(service)s.") % dict(
                service=service()
            )
        case "service_removed":
            return gettext("A service is no longer on the bill: %(service)s.") % dict(
                service=service()
            )
        case "recalculated":
            return gettext(
                "This month was recalculated: it was %(before)s, it is now %(after)s."
            ) % dict(before=money("before"), after=money("after"))
        case "estimated":
            return gettext(
                "The meter was not read, so this month is an estimate (the average of earlier "
                "months); it will be corrected from the next reading."
            )
        case "norm":
            return gettext("Billed by the norm for the persons served, not by a meter.")
        case "after_estimate":
            return gettext(
                "The month before was an estimate, so this reading may include its correction."
            )
        case "possible_leak":
            return gettext(
                "Possible leak: %(volume)s m³ is %(ratio)s times your usual %(usual)s m³ "
                "(the median of these 12 months). If nobody used more water, check taps, the "
                "cistern and pipes, or call 955."
            ) % dict(
                volume=volume("volume"),
                usual=volume("usual"),
                ratio=format_ratio(values["ratio"], locale),
            )
    raise ValueError(f"no wording for {note.kind}")


def format_ratio(value: object, locale: str) -> str:
    assert isinstance(value, Decimal)
    return format_number(value, "0.0", locale)
