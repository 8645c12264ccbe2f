"""The feed's rules, shared by the file importer and the real-time payment intake.

Pure functions over plain values: no framework, no database. A row either becomes a typed record
or is refused with every problem found, each naming its column in Azerbaijani and English.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Literal

from waterbill.billing.domain import SERVICES
from waterbill.billing.tables import (
    BASES,
    CATEGORIES,
    METER_TYPES,
    STATUSES,
    TARIFF_ZONES,
)
from waterbill.calendar import BAKU, YearMonth, baku_date
from waterbill.errors import MalformedCode
from waterbill.i18n.formatting import format_money
from waterbill.i18n.marker import _
from waterbill.identifiers import FIN_PATTERN, CodeLength, parse_code

Kind = Literal["subscribers", "invoices", "payments"]
KINDS: tuple[Kind, ...] = ("subscribers", "invoices", "payments")

SUBSCRIBER_COLUMNS = (
    "subscriber_code",
    "holder_fin",
    "surname",
    "name",
    "patronymic",
    "region",
    "city",
    "district",
    "street",
    "building",
    "apartment",
    "persons_served",
    "water_service",
    "wastewater_service",
    "meter_type",
    "meter_serial",
    "tariff_zone",
    "category",
    "status",
    "opened_on",
)
INVOICE_COLUMNS = (
    "invoice_no",
    "subscriber_code",
    "period",
    "service",
    "previous_reading",
    "current_reading",
    "consumption_m3",
    "tariff",
    "amount",
    "basis",
    "issued_on",
)
PAYMENT_COLUMNS = ("payment_id", "subscriber_code", "paid_at", "amount", "channel", "reverses")
COLUMNS: dict[Kind, tuple[str, ...]] = {
    "subscribers": SUBSCRIBER_COLUMNS,
    "invoices": INVOICE_COLUMNS,
    "payments": PAYMENT_COLUMNS,
}
# Columns that may be empty; every other column is required.
OPTIONAL = frozenset(
    {"patronymic", "district", "apartment", "meter_serial", "previous_reading", "current_reading"}
    | {"reverses"}
)

EARLIEST_DAY = date(1950, 1, 1)
EARLIEST_PERIOD = YearMonth(2000, 1)
EARLIEST_PAYMENT_DAY = date(2000, 1, 1)
# A channel's clock may run a little ahead of ours; beyond this a payment is "in the future".
CLOCK_SKEW = timedelta(minutes=5)
AMOUNT_TOLERANCE = Decimal("0.01")
MEDIAN_FACTOR = Decimal(3)
MEDIAN_MIN_MONTHS = 3
# The months before an invoice's own that its consumption is compared with.
HISTORY_MONTHS = 12
TRUE_TEXTS = ("1", "true")
FALSE_TEXTS = ("0", "false")
PERSONS_SERVED = (0, 999)
PAYMENT_ID_LENGTH = 64
CHANNEL_LENGTH = 40


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a row or a field is refused: a stable code, the column, and the message.

    ``template`` and ``params``, when given, are the English message before its values were put
    in: the msgid under which the web catalogs hold it in every language.
    """

    code: str
    column: str
    az: str
    en: str
    template: str | None = None
    params: tuple[tuple[str, object], ...] = ()

    def text(self) -> str:
        return f"{self.column}: {self.az} / {self.en}"

    @property
    def msgid(self) -> str:
        return self.template or self.en

    def params_in(self, locale: str) -> dict[str, object]:
        """The values to put in the message in ``locale``: amounts read as money there."""
        return {
            name: format_money(value, locale) if isinstance(value, Decimal) else value
            for name, value in self.params
        }


class Rejected(Exception):
    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(problem.text() for problem in problems))
        self.problems = tuple(problems)

    @property
    def first(self) -> Problem:
        return self.problems[0]


@dataclass(frozen=True, slots=True)
class SubscriberRecord:
    code: str
    holder_fin: str
    surname: str
    name: str
    patronymic: str
    region: str
    city: str
    district: str
    street: str
    building: str
    apartment: str | None
    persons_served: int
    water_service: bool
    wastewater_service: bool
    meter_type: str
    meter_serial: str | None
    tariff_zone: str
    category: str
    status: str
    opened_on: date


@dataclass(frozen=True, slots=True)
class InvoiceRecord:
    invoice_no: str
    subscriber_code: str
    period: str
    service: str
    previous_reading: Decimal | None
    current_reading: Decimal | None
    consumption_m3: Decimal
    tariff: Decimal
    amount: Decimal
    basis: str
    issued_on: date

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.subscriber_code, self.period, self.service)


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    channel: str
    payment_id: str
    subscriber_code: str
    paid_at: datetime
    amount: Decimal
    reverses: str | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.channel, self.payment_id)


@dataclass(frozen=True, slots=True)
class StoredPayment:
    """What the store already holds under a payment id, to judge a new row against it."""

    subscriber_code: str
    paid_at: datetime
    amount: Decimal
    reverses: str | None
    # What the reversals of this payment already take back (a positive sum).
    reversed: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class Warning:
    code: str
    column: str
    az: str
    en: str


# The limits below are read by the PostgreSQL import too (``bulk.py``), which loads in SQL the
# rows whose every value has a plain shape within them and sends only the other rows through the
# functions here; a test holds the two paths to the same outcome, row by row.
_PLAIN_PERIOD = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
# What ``str.strip()`` removes beyond ASCII's white space and control characters.
STRIPPED_BEYOND_ASCII = (
    0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
)  # fmt: skip
_PLAIN_DECIMAL = {
    (places, digits, negative): re.compile(
        rf"^{'-?' if negative else ''}[0-9]{{1,{digits}}}([.,][0-9]{{1,{places}}})?$"
    )
    for places, digits in ((2, 12), (3, 11), (4, 6))
    for negative in (False, True)
}
INVOICE_NO_LENGTH = 32
# The longest value of each text column of a subscriber (OPTIONAL says which may be empty).
SUBSCRIBER_TEXTS = {
    "surname": 100,
    "name": 100,
    "patronymic": 100,
    "region": 100,
    "city": 100,
    "district": 100,
    "street": 200,
    "building": 20,
    "apartment": 20,
    "meter_serial": 40,
}
# (decimal places, integer digits, may be negative) of a payment's amount.
PAYMENT_AMOUNT = (2, 12, True)
# (decimal places, integer digits, may be negative) of each number of an invoice.
INVOICE_NUMBERS: dict[str, tuple[int, int, bool]] = {
    "previous_reading": (3, 11, False),
    "current_reading": (3, 11, False),
    "consumption_m3": (3, 11, False),
    "tariff": (4, 6, False),
    "amount": (2, 12, True),
}


class _Fields:
    """Reads typed values out of a row of text, collecting a problem per bad column."""

    def __init__(self, values: Mapping[str, str | None]) -> None:
        self.values = values
        self.problems: list[Problem] = []

    def fail(self, column: str, az: str, en: str, code: str = "invalid_value") -> None:
        self.problems.append(Problem(code, column, az, en))

    def raw(self, column: str) -> str | None:
        value = self.values.get(column)
        if value is None:
            if column not in OPTIONAL:
                self.fail(column, "dəyər boşdur", "value is missing", "missing_value")
            return None
        value = value.strip()
        if value == "" and column not in OPTIONAL:
            self.fail(column, "dəyər boşdur", "value is missing", "missing_value")
        return value or None

    def text(self, column: str, max_length: int) -> str | None:
        value = self.raw(column)
        if value is not None and len(value) > max_length:
            self.fail(
                column,
                f"ən çox {max_length} simvol ola bilər",
                f"at most {max_length} characters",
            )
            return None
        return value

    def decimal(
        self, column: str, *, places: int, integer_digits: int, negative: bool = False
    ) -> Decimal | None:
        value = self.raw(column)
        if value is None:
            return None
        # The common case in one regular expression; anything else takes the diagnosing path.
        if _PLAIN_DECIMAL[(places, integer_digits, negative)].match(value):
            return Decimal(value.replace(",", "."))
        number = parse_decimal(value)
        if number is None:
            self.fail(column, f"«{value}» rəqəm deyil", f"{value!r} is not a number")
            return None
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            self.fail(
                column,
                f"vergüldən sonra ən çox {places} rəqəm ola bilər",
                f"at most {places} decimal places",
            )
            return None
        if not negative and number < 0:
            self.fail(column, "mənfi ola bilməz", "must not be negative")
            return None
        if abs(number) >= Decimal(10) ** integer_digits:
            self.fail(column, "həddən artıq böyükdür", "is too large")
            return None
        return number

    def number(self, column: str) -> Decimal | None:
        places, integer_digits, negative = INVOICE_NUMBERS[column]
        return self.decimal(column, places=places, integer_digits=integer_digits, negative=negative)

    def integer(self, column: str, low: int, high: int) -> int | None:
        value = self.raw(column)
        if value is None:
            return None
        if not value.isdigit():
            self.fail(column, f"«{value}» tam ədəd deyil", f"{value!r} is not a whole number")
            return None
        number = int(value)
        if not low <= number <= high:
            self.fail(column, f"{low}–{high} aralığında olmalıdır", f"must be {low} to {high}")
            return None
        return number

    def boolean(self, column: str) -> bool | None:
        value = self.raw(column)
        if value is None:
            return None
        lowered = value.lower()
        if lowered in TRUE_TEXTS:
            return True
        if lowered in FALSE_TEXTS:
            return False
        self.fail(
            column,
            f"«{value}» 1, 0, true və ya false olmalıdır",
            f"{value!r} must be 1, 0, true or false",
        )
        return None

    def choice(self, column: str, allowed: Sequence[str]) -> str | None:
        value = self.raw(column)
        if value is None:
            return None
        if value not in allowed:
            options = ", ".join(allowed)
            self.fail(
                column,
                f"«{value}» icazə verilən dəyər deyil ({options})",
                f"{value!r} is not one of {options}",
            )
            return None
        return value

    def day(self, column: str, today: date) -> date | None:
        value = self.raw(column)
        if value is None:
            return None
        try:
            day = date.fromisoformat(value) if len(value) == 10 else None
        except ValueError:
            day = None
        if day is None:
            self.fail(
                column, f"«{value}» YYYY-MM-DD tarixi deyil", f"{value!r} is not a YYYY-MM-DD date"
            )
            return None
        if not EARLIEST_DAY <= day <= today:
            self.fail(
                column,
                "tarix keçmişdə olmalıdır (1950-ci ildən)",
                "the date must be in the past (from 1950)",
            )
            return None
        return day

    def period(self, column: str, today: date) -> str | None:
        value = self.raw(column)
        if value is None:
            return None
        if _PLAIN_PERIOD.match(value) and str(EARLIEST_PERIOD) <= value <= str(YearMonth.of(today)):
            return value
        try:
            month = YearMonth.parse(value)
        except ValueError:
            self.fail(column, f"«{value}» YYYY-MM dövrü deyil", f"{value!r} is not a YYYY-MM month")
            return None
        if not EARLIEST_PERIOD <= month <= YearMonth.of(today):
            self.fail(
                column,
                "dövr 2000-01 ilə cari ay arasında olmalıdır",
                "the period must be between 2000-01 and the current month",
            )
            return None
        return str(month)

    def code(self, column: str, code_length: CodeLength) -> str | None:
        value = self.raw(column)
        if value is None:
            return None
        try:
            return parse_code(value, code_length)
        except MalformedCode:
            low, high = code_length
            self.fail(
                column,
                f"abonent kodu {low}–{high} rəqəmdən ibarət olmalıdır",
                f"a subscriber code has {low} to {high} digits",
            )
            return None

    def fin(self, column: str) -> str | None:
        value = self.raw(column)
        if value is None:
            return None
        fin = value.upper()
        if not FIN_PATTERN.match(fin):
            self.fail(
                column,
                "FİN 7 simvoldur: latın böyük hərfləri (I və O-suz) və rəqəmlər",
                "a FIN has 7 characters: Latin capitals (no I or O) and digits",
            )
            return None
        return fin

    def instant(self, column: str) -> datetime | None:
        value = self.raw(column)
        if value is None:
            return None
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            self.fail(
                column,
                f"«{value}» ISO 8601 tarix-vaxtı deyil",
                f"{value!r} is not an ISO 8601 date-time",
            )
            return None
        # The contract: a time without an offset is Baku local time.
        return instant.replace(tzinfo=BAKU) if instant.tzinfo is None else instant

    def done(self) -> None:
        if self.problems:
            raise Rejected(self.problems)


def parse_decimal(text: str) -> Decimal | None:
    """``12.50`` or ``12,50``; no thousands separators, which would make ``1,234`` ambiguous."""
    candidate = text.strip()
    if "," in candidate:
        if "." in candidate or candidate.count(",") > 1:
            return None
        candidate = candidate.replace(",", ".")
    try:
        number = Decimal(candidate)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def parse_subscriber(
    values: Mapping[str, str | None], *, code_length: CodeLength, now: datetime
) -> SubscriberRecord:
    fields = _Fields(values)
    today = baku_date(now)
    record = dict(
        code=fields.code("subscriber_code", code_length),
        holder_fin=fields.fin("holder_fin"),
        surname=fields.text("surname", SUBSCRIBER_TEXTS["surname"]),
        name=fields.text("name", SUBSCRIBER_TEXTS["name"]),
        patronymic=fields.text("patronymic", SUBSCRIBER_TEXTS["patronymic"]) or "",
        region=fields.text("region", SUBSCRIBER_TEXTS["region"]),
        city=fields.text("city", SUBSCRIBER_TEXTS["city"]),
        district=fields.text("district", SUBSCRIBER_TEXTS["district"]) or "",
        street=fields.text("street", SUBSCRIBER_TEXTS["street"]),
        building=fields.text("building", SUBSCRIBER_TEXTS["building"]),
        apartment=fields.text("apartment", SUBSCRIBER_TEXTS["apartment"]),
        persons_served=fields.integer("persons_served", *PERSONS_SERVED),
        water_service=fields.boolean("water_service"),
        wastewater_service=fields.boolean("wastewater_service"),
        meter_type=fields.choice("meter_type", METER_TYPES),
        meter_serial=fields.text("meter_serial", SUBSCRIBER_TEXTS["meter_serial"]),
        tariff_zone=fields.choice("tariff_zone", TARIFF_ZONES),
        category=fields.choice("category", CATEGORIES),
        status=fields.choice("status", STATUSES),
        opened_on=fields.day("opened_on", today),
    )
    fields.done()
    return SubscriberRecord(**record)  # type: ignore[arg-type]


def parse_invoice(
    values: Mapping[str, str | None], *, code_length: CodeLength, now: datetime
) -> InvoiceRecord:
    fields = _Fields(values)
    today = baku_date(now)
    record = dict(
        invoice_no=fields.text("invoice_no", INVOICE_NO_LENGTH),
        subscriber_code=fields.code("subscriber_code", code_length),
        period=fields.period("period", today),
        service=fields.choice("service", SERVICES),
        previous_reading=fields.number("previous_reading"),
        current_reading=fields.number("current_reading"),
        consumption_m3=fields.number("consumption_m3"),
        tariff=fields.number("tariff"),
        amount=fields.number("amount"),
        basis=fields.choice("basis", BASES),
        issued_on=fields.day("issued_on", today),
    )
    previous, current = values.get("previous_reading"), values.get("current_reading")
    # Readings are optional on every line: consumption, tariff and amount make the bill, and
    # refusing one drops a debt the citizen really owes. Billing systems often export readings
    # apart, and a wastewater line has none of its own (its volume is the water meter's). An
    # estimate may carry the last reading alone (the meter was not read); otherwise both or neither.
    estimate_without_reading = record["basis"] == "estimate" and current is None
    if (previous is None) != (current is None) and not estimate_without_reading:
        fields.fail(
            "previous_reading" if previous is None else "current_reading",
            "sayğac göstəricilərinin ikisi də olmalıdır və ya heç biri",
            "give both meter readings or neither",
        )
    period, issued_on = record["period"], record["issued_on"]
    if (
        isinstance(period, str)
        and isinstance(issued_on, date)
        and issued_on < YearMonth.parse(period).first_day
    ):
        fields.fail(
            "issued_on",
            "hesab dövrün başlanğıcından əvvəl verilə bilməz",
            "an invoice cannot be issued before its period begins",
        )
    fields.done()
    return InvoiceRecord(**record)  # type: ignore[arg-type]


def parse_payment(
    values: Mapping[str, str | None], *, code_length: CodeLength, now: datetime
) -> PaymentRecord:
    """A payment row of a file: text to types, then the same checks as the real-time intake."""
    fields = _Fields(values)
    channel = fields.text("channel", CHANNEL_LENGTH)
    payment_id = fields.text("payment_id", PAYMENT_ID_LENGTH)
    code = fields.raw("subscriber_code")
    paid_at = fields.instant("paid_at")
    places, integer_digits, negative = PAYMENT_AMOUNT
    amount = fields.decimal(
        "amount", places=places, integer_digits=integer_digits, negative=negative
    )
    reverses = fields.text("reverses", PAYMENT_ID_LENGTH)
    fields.done()
    # done() has raised unless every required value is present.
    assert channel is not None
    assert payment_id is not None
    assert code is not None
    assert paid_at is not None
    assert amount is not None
    return check_payment(
        channel=channel,
        payment_id=payment_id,
        subscriber_code=code,
        paid_at=paid_at,
        amount=amount,
        reverses=reverses,
        code_length=code_length,
        now=now,
    )


def check_payment(
    *,
    channel: str,
    payment_id: str,
    subscriber_code: str,
    paid_at: datetime,
    amount: Decimal,
    reverses: str | None,
    code_length: CodeLength,
    now: datetime,
) -> PaymentRecord:
    """The rules of a payment on its own, for a file row and for a channel's request alike."""
    problems: list[Problem] = []

    def fail(column: str, az: str, en: str, **params: object) -> None:
        problems.append(
            Problem("invalid_value", column, az % params, en % params, en, tuple(params.items()))
        )

    payment_id = payment_id.strip()
    if not payment_id or len(payment_id) > PAYMENT_ID_LENGTH:
        fail("payment_id", "1–64 simvol olmalıdır", _("must have 1 to 64 characters"))
    elif _unprintable(payment_id):
        fail("payment_id", *_UNPRINTABLE)
    try:
        code = parse_code(subscriber_code, code_length)
    except MalformedCode:
        code = ""
        fail(
            "subscriber_code",
            "abonent kodu %(low)s–%(high)s rəqəmdən ibarət olmalıdır",
            _("a subscriber code has %(low)s to %(high)s digits"),
            low=code_length[0],
            high=code_length[1],
        )
    if paid_at.tzinfo is None:
        paid_at = paid_at.replace(tzinfo=BAKU)
    if paid_at > now + CLOCK_SKEW:
        fail("paid_at", "ödəniş vaxtı gələcəkdə ola bilməz", _("a payment cannot be in the future"))
    elif paid_at.astimezone(BAKU).date() < EARLIEST_PAYMENT_DAY:
        fail("paid_at", "ödəniş vaxtı 2000-ci ildən əvvəl ola bilməz", _("a payment before 2000"))
    places, integer_digits, _negative = PAYMENT_AMOUNT
    exponent = amount.as_tuple().exponent
    if not amount.is_finite() or (isinstance(exponent, int) and -exponent > places):
        fail("amount", "məbləğdə ən çox 2 onluq rəqəm olar", _("at most 2 decimal places"))
    elif abs(amount) >= Decimal(10) ** integer_digits:
        fail("amount", "məbləğ həddən artıq böyükdür", _("the amount is too large"))
    reverses = (reverses.strip() or None) if reverses is not None else None
    if reverses is None and amount <= 0:
        fail(
            "amount",
            "məbləğ müsbət olmalıdır (ləğv deyilsə)",
            _("the amount must be positive unless it reverses a payment"),
        )
    if reverses is not None:
        if amount >= 0:
            fail(
                "amount",
                "ləğv edən ödənişin məbləği mənfi olmalıdır",
                _("a reversal has a negative amount"),
            )
        if len(reverses) > PAYMENT_ID_LENGTH:
            fail("reverses", "ən çox 64 simvol ola bilər", _("at most 64 characters"))
        elif _unprintable(reverses):
            fail("reverses", *_UNPRINTABLE)
        elif reverses == payment_id:
            fail("reverses", "ödəniş özünü ləğv edə bilməz", _("a payment cannot reverse itself"))
    if problems:
        raise Rejected(problems)
    return PaymentRecord(
        channel=channel,
        payment_id=payment_id,
        subscriber_code=code,
        paid_at=paid_at.astimezone(UTC),
        amount=amount.quantize(Decimal("0.01")),
        reverses=reverses,
    )


_UNPRINTABLE = (
    "idarəedici və ya mətn istiqaməti simvolları ola bilməz",
    _("control or text-direction characters are not allowed"),
)


def _unprintable(text: str) -> bool:
    """A control character or an invisible format one (a bidi override, a zero-width space):
    an id that reads as another on screen, or breaks the line it is logged on."""
    return any(unicodedata.category(character) in {"Cc", "Cf"} for character in text)


_CEILING_AZ = "kanal vasitəsilə bir ödəniş ən çox %(ceiling)s ola bilər"
_CEILING_EN = _("a payment through the intake is at most %(ceiling)s")


def check_amount_ceiling(amount: Decimal, ceiling: Decimal) -> None:
    """The intake's bound on one payment (``WATERBILL_PAYMENT_MAX_AMOUNT``)."""
    if abs(amount) > ceiling:
        amounts = (("ceiling", ceiling),)
        raise Rejected(
            [_amounts_problem("amount_above_ceiling", _CEILING_AZ, _CEILING_EN, amounts)]
        )


Verdict = Literal["new", "same"]


def judge_payment(
    payment: PaymentRecord,
    *,
    subscriber_known: bool,
    stored: StoredPayment | None,
    reversed_payment: StoredPayment | None,
) -> Verdict:
    """A payment against what the store holds: new, an exact repeat, or refused.

    The payment id is the channel's: the same id with other content is a conflict and the stored
    payment wins. A reversal names an earlier payment of the same channel and subscriber.
    """
    if stored is not None:
        if (
            stored.subscriber_code == payment.subscriber_code
            and stored.paid_at == payment.paid_at
            and stored.amount == payment.amount
            and stored.reverses == payment.reverses
        ):
            return "same"
        raise Rejected(
            [
                Problem(
                    "payment_conflict",
                    "payment_id",
                    "bu ödəniş nömrəsi artıq başqa məlumatla qeydə alınıb",
                    _("this payment id is already recorded with other content"),
                )
            ]
        )
    if not subscriber_known:
        raise Rejected(
            [
                Problem(
                    "unknown_subscriber",
                    "subscriber_code",
                    "belə abonent kodu yoxdur",
                    _("no subscriber has this code"),
                )
            ]
        )
    if payment.reverses is not None:
        if reversed_payment is None or reversed_payment.amount <= 0:
            raise Rejected(
                [
                    Problem(
                        "unknown_reversed_payment",
                        "reverses",
                        "ləğv edilən ödəniş bu kanalda tapılmadı",
                        _("the reversed payment is not found for this channel"),
                    )
                ]
            )
        if reversed_payment.subscriber_code != payment.subscriber_code:
            raise Rejected(
                [
                    Problem(
                        "reversal_mismatch",
                        "reverses",
                        "ləğv edilən ödəniş başqa abonentindir",
                        _("the reversed payment belongs to another subscriber"),
                    )
                ]
            )
        if reversed_payment.reversed - payment.amount > reversed_payment.amount:
            raise Rejected([reversal_exceeds_payment(reversed_payment)])
    return "new"


_EXCEEDS_AZ = (
    "ödənişin ləğvləri onun məbləğindən çox ola bilməz: "
    "ödənilib %(paid)s, artıq ləğv edilib %(reversed)s"
)
_EXCEEDS_EN = _(
    "the reversals of a payment cannot exceed it: paid %(paid)s, already reversed %(reversed)s"
)


def reversal_exceeds_payment(reversed_payment: StoredPayment) -> Problem:
    """The reversals of a payment, counted over every file, batch and request, exceed it."""
    amounts = (("paid", reversed_payment.amount), ("reversed", reversed_payment.reversed))
    return _amounts_problem("reversal_exceeds_payment", _EXCEEDS_AZ, _EXCEEDS_EN, amounts)


def _amounts_problem(
    code: str, az: str, en: str, amounts: tuple[tuple[str, Decimal], ...]
) -> Problem:
    """A refusal of the amount whose message names amounts, each as money reads in its language."""
    problem = Problem(code, "amount", "", "", en, amounts)
    return replace(problem, az=az % problem.params_in("az"), en=en % problem.params_in("en"))


def invoice_warnings(invoice: InvoiceRecord) -> list[Warning]:
    """Data-quality findings worth a look that do not make the row wrong."""
    found: list[Warning] = []
    expected = (invoice.consumption_m3 * invoice.tariff).quantize(Decimal("0.01"))
    if abs(invoice.amount - expected) > AMOUNT_TOLERANCE:
        found.append(
            Warning(
                "amount_mismatch",
                "amount",
                f"məbləğ istehlak × tarifdən ({expected}) fərqlənir",
                f"amount differs from consumption × tariff ({expected})",
            )
        )
    if invoice.basis == "meter" and invoice.service == "water" and invoice.current_reading is None:
        found.append(
            Warning(
                "readings_missing",
                "current_reading",
                "sayğac üzrə hesabda göstəricilər yoxdur; hesab yenə də yükləndi",
                "a meter-based bill without its readings; the bill was loaded all the same",
            )
        )
    if (
        invoice.previous_reading is not None
        and invoice.current_reading is not None
        and invoice.current_reading < invoice.previous_reading
    ):
        found.append(
            Warning(
                "reading_decreased",
                "current_reading",
                "cari göstərici əvvəlkindən azdır",
                "the current reading is lower than the previous one",
            )
        )
    return found


def far_above_median(consumption: Decimal, history: Sequence[Decimal]) -> Warning | None:
    """More than three times the median of the subscriber's earlier months (of at least three)."""
    if len(history) < MEDIAN_MIN_MONTHS:
        return None
    median = Decimal(statistics.median(history))
    if median <= 0 or consumption <= median * MEDIAN_FACTOR:
        return None
    return Warning(
        "consumption_spike",
        "consumption_m3",
        f"istehlak son 12 ayın medianından ({median}) 3 dəfədən çox yüksəkdir",
        f"consumption is over 3 times the 12-month median ({median})",
    )
