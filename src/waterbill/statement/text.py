"""The statement as plain text for the terminal: the same items the web page shows."""

from __future__ import annotations

from waterbill.i18n.formatting import format_money, format_month, format_volume
from waterbill.statement.domain import Statement

_SERVICE_NAMES = {"water": "su təchizatı", "wastewater": "tullantı su"}
_METER_NAMES = {"none": "sayğacsız (norma üzrə)", "mechanical": "mexaniki", "smart_card": "kartlı"}
_BALANCE = {"debt": "borc", "advance": "avans", "settled": "borc yoxdur"}


def render_text(statement: Statement, locale: str = "az") -> str:
    subscriber = statement.subscriber
    full_name = " ".join(
        part for part in (subscriber.surname, subscriber.name, subscriber.patronymic) if part
    )
    services = ", ".join(_SERVICE_NAMES[service] for service in subscriber.services) or "—"
    reporting = (
        format_month(statement.reporting_period, locale) if statement.reporting_period else "—"
    )
    lines = [
        f"Abonent kodu:        {subscriber.code}",
        f"Abonent:             {full_name}",
        f"Ünvan:               {subscriber.address.text}",
        "Xidmət olunan şəxs:  "
        + (str(subscriber.persons_served) if subscriber.persons_served is not None else "—"),
        f"Xidmət növü:         {services}",
        f"Sayğac:              {_METER_NAMES.get(subscriber.meter_type, subscriber.meter_type)}",
        f"Hesabat dövrü:       {reporting}",
        f"Tarix:               {statement.as_of.isoformat()}",
    ]
    if statement.masked:
        lines.append("Şəxsi məlumatlar gizlədilib.")
    lines.append("")
    header = f"{'Ay':<16}{'İstehlak, m³':>14}{'Hesablanıb':>16}{'Ödənilib':>16}  Qeyd"
    lines += [header, "-" * len(header)]
    for month in statement.months:
        notes = []
        if not month.billed:
            notes.append("hesablanmayıb")
        if month.recalculated and month.amount_before_recalculation is not None:
            before = format_money(month.amount_before_recalculation, locale)
            notes.append(f"yenidən hesablanıb (əvvəl {before})")
        if month.estimated:
            notes.append("norma/təxmini")
        consumption = format_volume(month.consumption_m3, locale) if month.billed else "—"
        invoiced = format_money(month.invoiced, locale) if month.billed else "—"
        lines.append(
            f"{format_month(month.period, locale):<16}{consumption:>14}{invoiced:>16}"
            f"{format_money(month.paid, locale):>16}  {'; '.join(notes)}"
        )
    totals = statement.totals
    lines += [
        "-" * len(header),
        f"{'Cəmi':<16}{format_volume(totals.consumption_m3, locale):>14}"
        f"{format_money(totals.invoiced, locale):>16}{format_money(totals.paid, locale):>16}",
        "",
        f"Dövrün əvvəlinə saldo: {format_money(statement.opening_balance, locale)}",
        f"Dövrün sonuna saldo:   {format_money(statement.closing_balance, locale)}"
        f" ({_BALANCE[statement.balance_kind]})",
    ]
    return "\n".join(lines)
