"""Deterministic demo data, generated citizen by citizen and handed out in chunks.

Pure: no database, no clock. Every citizen draws from a random generator seeded by (seed, citizen
number), so the same seed, size, months and ``as_of`` give the same rows, and memory stays flat at
any size because only one chunk exists at a time.

Rows are tuples in their table's column order, kept in whole units so the hot loop does integer
arithmetic only: money in qəpik, volumes in litres, tariffs in ten-thousandths of a manat, days as
proleptic ordinals and instants as Unix seconds. ``typed_values`` and ``as_dicts`` give their
Decimal, ``date`` and aware ``datetime`` values (the SQLite writer, the tests).

A run can be cut into shards (``plan_shards``): ranges of citizens generated independently, in
any order or process, whose rows concatenated in shard order are the rows of one single run.
Subscriber ids are part of the data (the code is derived from them), so each shard is told how
many subscribers come before it; invoice, revision and payment ids are numbered from 1 inside a
shard and the caller adds the counts of the shards before it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from itertools import accumulate
from typing import Any

from waterbill.billing.tariffs import (
    HOUSEHOLD_TARIFFS,
    LITRE,
    NON_HOUSEHOLD_WATER,
    tariff_for_period,
    tariff_zone_of,
)
from waterbill.calendar import BAKU, YearMonth
from waterbill.demo.names import (
    FEMALE_NAMES,
    GENDERED_SURNAMES,
    INVARIANT_SURNAMES,
    MALE_NAMES,
    patronymic_for,
    surname_for,
)
from waterbill.demo.places import PLACES, REGION_PREFIX, Place

Row = dict[str, Any]
# (id, code, holder_fin, surname, name, patronymic, region, city, district, street, building,
#  apartment, persons_served, water_service, wastewater_service, meter_type, meter_serial,
#  tariff_zone, category, status, opened_on, updated_at)
SubscriberRow = tuple[
    int, str, str, str, str, str, str, str, str, str, str, str | None, int, bool, bool, str,
    str | None, str, str, str, int, int,
]  # fmt: skip
# (id, invoice_no, subscriber_id, period, service, previous_reading, current_reading,
#  consumption_m3, tariff, amount, basis, issued_on, updated_at)
InvoiceRow = tuple[int, str, int, str, str, int | None, int | None, int, int, int, str, int, int]
# (id, invoice_id, invoice_no, previous_reading, current_reading, consumption_m3, tariff, amount,
#  basis, issued_on, replaced_at)
RevisionRow = tuple[int, int, str, int | None, int | None, int, int, int, str, int, int]
# (id, channel, payment_id, subscriber_id, paid_at, amount, reverses, received_at)
PaymentRow = tuple[int, str, str, int, int, int, str | None, int]

SUBSCRIBER_COLUMNS = (
    "id", "code", "holder_fin", "surname", "name", "patronymic", "region", "city", "district",
    "street", "building", "apartment", "persons_served", "water_service", "wastewater_service",
    "meter_type", "meter_serial", "tariff_zone", "category", "status", "opened_on", "updated_at",
)  # fmt: skip
INVOICE_COLUMNS = (
    "id", "invoice_no", "subscriber_id", "period", "service", "previous_reading",
    "current_reading", "consumption_m3", "tariff", "amount", "basis", "issued_on", "updated_at",
)  # fmt: skip
REVISION_COLUMNS = (
    "id", "invoice_id", "invoice_no", "previous_reading", "current_reading", "consumption_m3",
    "tariff", "amount", "basis", "issued_on", "replaced_at",
)  # fmt: skip
PAYMENT_COLUMNS = (
    "id", "channel", "payment_id", "subscriber_id", "paid_at", "amount", "reverses", "received_at",
)  # fmt: skip

FIN_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I and no O
FIN_SPACE = len(FIN_ALPHABET) ** 7
# Multipliers coprime to their modulus make index → identifier a bijection: never a duplicate.
FIN_MULTIPLIER = 32_461_215_589
CODE_SPACE = 10**8
CODE_MULTIPLIER = 61_803_399
SERIAL_MULTIPLIER = 3_141_593

ONLINE_CHANNELS = ("bank", "bank_app", "azerpost", "million", "emanat", "asan_kommunal")
CHANNELS = (*ONLINE_CHANNELS, "smart_card")
_CHANNEL_CUM_WEIGHTS = tuple(accumulate((12, 32, 10, 15, 16, 15)))
_CHANNEL_PREFIX = {
    "bank": "BNK",
    "bank_app": "APP",
    "azerpost": "AZP",
    "million": "MLN",
    "emanat": "EMN",
    "asan_kommunal": "ASK",
    "smart_card": "SCT",
}
# Per cent of the yearly average used in each calendar month: gardens and heat in summer.
SEASON_PERCENT = {1: 78, 2: 78, 3: 85, 4: 95, 5: 108, 6: 122, 7: 135, 8: 135, 9: 115, 10: 95,
                  11: 85, 12: 80}  # fmt: skip
ESTIMATE_CHANCE = 0.04
_SUFFIX = {"water": "S", "wastewater": "K"}  # su, kanalizasiya
MECHANICAL_MAKES = ("Baylan", "Sensus", "Zenner")
SMART_CARD_MAKES = {"Alfasu": "ALF", "Teksan": "TKS", "Abşeron": "ABS"}
PERSONS = (1, 2, 3, 4, 5, 6, 7)
_PERSON_CUM_WEIGHTS = tuple(accumulate((8, 14, 20, 24, 18, 10, 6)))
BEHAVIOURS = ("punctual", "advance", "late", "debtor")
_BEHAVIOUR_CUM_WEIGHTS = tuple(accumulate((55, 15, 20, 10)))
_ACCOUNT_COUNTS = (1, 2, 3)
_ACCOUNT_CUM_WEIGHTS = tuple(accumulate((85, 11, 4)))
_SHOWCASE_ACCOUNTS = {0: 1, 1: 3, 2: 2, 3: 1}  # the citizens ``_force_showcase`` shapes
_METER_TYPES = ("mechanical", "smart_card", "none")
_METER_CUM_WEIGHTS = {
    "baku_absheron": tuple(accumulate((70, 15, 15))),
    "regions": tuple(accumulate((50, 20, 30))),
}
# ``choices`` with cumulative weights draws exactly as with the weights, without summing per call.
_PLACE_CUM_WEIGHTS = tuple(accumulate(place.weight for place in PLACES))
FIRST_TARIFF_DAY = HOUSEHOLD_TARIFFS[0].in_force_from
FIRST_NON_HOUSEHOLD_DAY = NON_HOUSEHOLD_WATER[0][0]
_ISSUED_AT_SECONDS = 9 * 3600  # invoices are issued at 09:00 Baku time
_FIRST_PAYMENT_SECOND = 8 * 3600
_LAST_PAYMENT_SECOND = 23 * 3600 - 1


@dataclass(frozen=True, slots=True)
class DemoPlan:
    subscribers: int
    seed: int
    months: int
    as_of: date
    norm_m3_per_person: Decimal
    chunk_size: int = 500

    def __post_init__(self) -> None:
        if self.subscribers < 1:
            raise ValueError("at least one subscriber")
        if not 1 <= self.months <= 180:
            raise ValueError("months must be between 1 and 180")
        if self.subscribers > CODE_SPACE:
            raise ValueError(f"at most {CODE_SPACE} subscribers")
        if history_months(self.as_of, self.months)[0].first_day < FIRST_TARIFF_DAY:
            raise ValueError(f"no published tariff before {FIRST_TARIFF_DAY}: use fewer months")


@dataclass(slots=True)
class Chunk:
    subscribers: list[SubscriberRow] = field(default_factory=list)
    invoices: list[InvoiceRow] = field(default_factory=list)
    revisions: list[RevisionRow] = field(default_factory=list)
    payments: list[PaymentRow] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Shard:
    """Citizens ``first_citizen`` up to (not including) ``stop_citizen``."""

    first_citizen: int
    stop_citizen: int
    subscribers_before: int
    subscribers: int


@dataclass(frozen=True, slots=True)
class DemoAccount:
    code: str
    place: str
    meter_type: str
    services: tuple[str, ...]
    category: str
    status: str


@dataclass(frozen=True, slots=True)
class DemoCitizen:
    fin: str
    surname: str
    name: str
    patronymic: str
    accounts: tuple[DemoAccount, ...]


@dataclass(slots=True)
class _Account:
    place: Place
    street: str
    building: str
    apartment: str | None
    persons: int
    water: bool
    wastewater: bool
    meter_type: str
    meter_serial: str | None
    category: str
    opened_on: date
    closed_after: int | None  # index of the last billed month of a closed account
    behaviour: str
    channel: str
    litres_per_person: int
    forced_estimate: int | None = None


def history_months(as_of: date, months: int) -> list[YearMonth]:
    """``months`` billing months ending with the one before ``as_of``'s (not billed yet)."""
    last = YearMonth.of(as_of).shift(-1)
    return [last.shift(offset) for offset in range(1 - months, 1)]


def fin_for(seed: int, citizen: int) -> str:
    number = (FIN_MULTIPLIER * (citizen + 1) + seed * 2_654_435_761) % FIN_SPACE
    letters = []
    for _ in range(7):
        number, digit = divmod(number, len(FIN_ALPHABET))
        letters.append(FIN_ALPHABET[digit])
    return "".join(reversed(letters))


def code_for(seed: int, subscriber: int, region: str) -> str:
    """Ten digits: a region prefix and eight digits unique to the subscriber's number."""
    body = (CODE_MULTIPLIER * subscriber + seed * 40_503_599) % CODE_SPACE
    return f"{REGION_PREFIX[region]}{body:08d}"


def _uniform(rng: random.Random, low: int, high: int) -> int:
    """An integer in [low, high]; ``randint`` is several times slower on the hot path."""
    return low + int(rng.random() * (high - low + 1))


def _citizen_rng(seed: int, citizen: int) -> random.Random:
    # Reproducible made-up people, not secrets: a seeded generator is the point.
    return random.Random(f"waterbill-demo:{seed}:{citizen}")  # noqa: S311


def _person(rng: random.Random, citizen: int) -> tuple[str, str, str, int]:
    """The first draws of a citizen: surname, name, patronymic and how many accounts they hold."""
    female = rng.random() < 0.45
    root = rng.choice(INVARIANT_SURNAMES if rng.random() < 0.12 else GENDERED_SURNAMES)
    surname = surname_for(root, female=female)
    name = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
    patronymic = patronymic_for(rng.choice(MALE_NAMES), female=female)
    drawn = rng.choices(_ACCOUNT_COUNTS, cum_weights=_ACCOUNT_CUM_WEIGHTS)[0]
    return surname, name, patronymic, _SHOWCASE_ACCOUNTS.get(citizen, drawn)


def plan_shards(plan: DemoPlan, shard_size: int) -> Iterator[Shard]:
    """Cut the run into shards of about ``shard_size`` subscribers, whole citizens each.

    Only the first draws of each citizen are made here (their number of accounts), so this walk is
    a small fraction of the cost of generating the shards.
    """
    citizen = first = before = 0
    total = 0
    while total < plan.subscribers:
        accounts = _person(_citizen_rng(plan.seed, citizen), citizen)[3]
        total = min(total + accounts, plan.subscribers)
        citizen += 1
        if total - before >= shard_size or total == plan.subscribers:
            yield Shard(first, citizen, before, total - before)
            first, before = citizen, total


def m3(litres: int) -> Decimal:
    return Decimal(litres).scaleb(-3)


def manat(qepik: int) -> Decimal:
    return Decimal(qepik).scaleb(-2)


def tariff_decimal(ten_thousandths: int) -> Decimal:
    return Decimal(ten_thousandths).scaleb(-4)


def instant(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def amount_qepik(litres: int, tariff: int) -> int:
    """Litres × tariff (in ten-thousandths of a manat per m³), rounded half-up to the qəpik.

    The same figure as ``billing.tariffs.invoice_amount`` gives in Decimal.
    """
    return (litres * tariff + 50_000) // 100_000


def _ten_thousandths(tariff: Decimal) -> int:
    return int(tariff.scaleb(4).to_integral_exact())


@lru_cache(maxsize=65_536)
def baku_midnight(ordinal: int) -> int:
    """The Unix second at which the Baku day with this ordinal begins."""
    return int(datetime.combine(date.fromordinal(ordinal), time(), BAKU).timestamp())


def _ceil_to(qepik: int, step_qepik: int) -> int:
    return -(-qepik // step_qepik) * step_qepik


# The columns whose values the rows keep in whole units, and how each becomes its typed value.
_TYPED: dict[str, Callable[[int], object]] = {
    "previous_reading": m3,
    "current_reading": m3,
    "consumption_m3": m3,
    "tariff": tariff_decimal,
    "amount": manat,
    "opened_on": date.fromordinal,
    "issued_on": date.fromordinal,
    "updated_at": instant,
    "replaced_at": instant,
    "paid_at": instant,
    "received_at": instant,
}


def typed_values(columns: tuple[str, ...]) -> list[Callable[[int], object] | None]:
    """For each column, what turns its value in a row into the typed value (None: as it is)."""
    return [_TYPED.get(name) for name in columns]


def _typed(rows: Sequence[tuple[Any, ...]], columns: tuple[str, ...]) -> list[Row]:
    converters = typed_values(columns)
    return [
        {
            name: value if convert is None or value is None else convert(value)
            for name, convert, value in zip(columns, converters, row, strict=True)
        }
        for row in rows
    ]


def as_dicts(chunk: Chunk) -> dict[str, list[Row]]:
    """The chunk's rows as column → value, in typed values (Decimal, date, aware datetime)."""
    return {
        "subscribers": _typed(chunk.subscribers, SUBSCRIBER_COLUMNS),
        "invoices": _typed(chunk.invoices, INVOICE_COLUMNS),
        "revisions": _typed(chunk.revisions, REVISION_COLUMNS),
        "payments": _typed(chunk.payments, PAYMENT_COLUMNS),
    }


class DemoGenerator:
    """Streams chunks of rows; ``citizens`` lists the first few holders to sign in as.

    ``shard`` generates one shard only; invoice, revision and payment ids then start at 1.
    """

    def __init__(self, plan: DemoPlan, shard: Shard | None = None) -> None:
        self.plan = plan
        self.shard = shard or Shard(0, CODE_SPACE, 0, plan.subscribers)
        self.months = history_months(plan.as_of, plan.months)
        self.citizens: list[DemoCitizen] = []
        self._subscriber_id = self.shard.subscribers_before
        self._invoice_id = self._revision_id = self._payment_id = 0
        self._last_subscriber_id = self.shard.subscribers_before + self.shard.subscribers
        self._as_of = plan.as_of.toordinal()
        self._stamp = baku_midnight(self._as_of)
        self._norm_litres = int((plan.norm_m3_per_person / LITRE).to_integral_value(ROUND_HALF_UP))
        self._lines: dict[tuple[str, str, tuple[str, ...]], list[tuple[tuple[str, str, int], ...]]]
        self._lines = {}
        self._first_month = self.months[0].year * 12 + self.months[0].month - 1
        self._labels = [str(month) for month in self.months]
        self._stamps = [f"{month.year:04d}{month.month:02d}" for month in self.months]
        self._season = [SEASON_PERCENT[month.month] for month in self.months]
        self._next_month_starts = [month.shift(1).first_day.toordinal() for month in self.months]
        # The last day a payment for each month's invoice is made: the end of the next month.
        self._pay_until = [self._last_pay_day(month) for month in self.months]

    @property
    def counts(self) -> dict[str, int]:
        return {
            "subscribers": self._subscriber_id - self.shard.subscribers_before,
            "invoices": self._invoice_id,
            "revisions": self._revision_id,
            "payments": self._payment_id,
        }

    def chunks(self) -> Iterator[Chunk]:
        return self._chunks(self.plan.chunk_size)

    def whole(self) -> Chunk:
        """Every row in one chunk: for a shard, which is sized to fit in memory."""
        return next(self._chunks(None), Chunk())

    def _chunks(self, size: int | None) -> Iterator[Chunk]:
        chunk = Chunk()
        citizen = self.shard.first_citizen
        while self._subscriber_id < self._last_subscriber_id and citizen < self.shard.stop_citizen:
            self._citizen(citizen, chunk)
            citizen += 1
            if size is not None and len(chunk.subscribers) >= size:
                yield chunk
                chunk = Chunk()
        if chunk.subscribers:
            yield chunk

    def _last_pay_day(self, period: YearMonth) -> int:
        return min(period.shift(2).first_day.toordinal(), self._as_of) - 1

    # -- citizens and their accounts ---------------------------------------------------------

    def _citizen(self, index: int, chunk: Chunk) -> None:
        rng = _citizen_rng(self.plan.seed, index)
        surname, name, patronymic, count = _person(rng, index)
        fin = fin_for(self.plan.seed, index)
        accounts = [self._draw_account(rng) for _ in range(count)]
        self._force_showcase(index, accounts, rng)

        demo_accounts: list[DemoAccount] = []
        for account in accounts:
            if self._subscriber_id >= self._last_subscriber_id:
                break
            self._subscriber_id += 1
            subscriber_id = self._subscriber_id
            place = account.place
            code = code_for(self.plan.seed, subscriber_id, place.region)
            status = "closed" if account.closed_after is not None else "active"
            chunk.subscribers.append(
                (subscriber_id, code, fin, surname, name, patronymic, place.region, place.city,
                 place.district, account.street, account.building, account.apartment,
                 account.persons, account.water, account.wastewater, account.meter_type,
                 account.meter_serial, tariff_zone_of(place.region), account.category, status,
                 account.opened_on.toordinal(), self._stamp)
            )  # fmt: skip
            self._bill(rng, account, subscriber_id, code, chunk)
            services = tuple(
                service
                for service, on in (("water", account.water), ("wastewater", account.wastewater))
                if on
            )
            demo_accounts.append(
                DemoAccount(
                    code=code,
                    place=place.city,
                    meter_type=account.meter_type,
                    services=services,
                    category=account.category,
                    status=status,
                )
            )
        if index < 3 and demo_accounts:
            self.citizens.append(DemoCitizen(fin, surname, name, patronymic, tuple(demo_accounts)))

    def _draw_account(self, rng: random.Random) -> _Account:
        place = rng.choices(PLACES, cum_weights=_PLACE_CUM_WEIGHTS)[0]
        in_flats = rng.randrange(100) < place.apartment_share
        zone = tariff_zone_of(place.region)
        meter_type = rng.choices(_METER_TYPES, cum_weights=_METER_CUM_WEIGHTS[zone])[0]
        first_day = self.months[0].first_day
        if rng.random() < 0.9 and first_day > FIRST_TARIFF_DAY:
            opened_on = date.fromordinal(
                FIRST_TARIFF_DAY.toordinal() + rng.randrange((first_day - FIRST_TARIFF_DAY).days)
            )
        else:
            opened_on = self._day_in_history(rng)
        closed_after = None
        if len(self.months) >= 4 and rng.random() < 0.03:
            closed_after = rng.randrange(2, len(self.months) - 1)
        account = _Account(
            place=place,
            street=rng.choice(place.streets),
            building=str(rng.randint(1, 120 if in_flats else 260)),
            apartment=str(rng.randint(1, 96)) if in_flats else None,
            persons=rng.choices(PERSONS, cum_weights=_PERSON_CUM_WEIGHTS)[0],
            water=True,
            wastewater=rng.random() < (0.9 if in_flats else 0.45),
            meter_type=meter_type,
            meter_serial=None,
            category="population",
            opened_on=opened_on,
            closed_after=closed_after,
            behaviour=rng.choices(BEHAVIOURS, cum_weights=_BEHAVIOUR_CUM_WEIGHTS)[0],
            channel=rng.choices(ONLINE_CHANNELS, cum_weights=_CHANNEL_CUM_WEIGHTS)[0],
            litres_per_person=rng.randint(2_500, 5_500),
        )
        if rng.random() < 0.02:
            self._make_non_population(rng, account)
        self._fit_meter(rng, account)
        return account

    def _day_in_history(self, rng: random.Random) -> date:
        month = self.months[rng.randrange(len(self.months))]
        return date.fromordinal(month.first_day.toordinal() + rng.randrange(28))

    def _make_non_population(self, rng: random.Random, account: _Account) -> None:
        """A shop or workshop on a sole trader's name: water only, metered, 1.00 AZN/m³."""
        if self.plan.as_of <= FIRST_NON_HOUSEHOLD_DAY:
            return
        account.category = "non_population"
        account.persons = 0
        account.wastewater = False
        account.apartment = None
        account.meter_type = "mechanical"
        account.litres_per_person = rng.randint(15_000, 60_000)
        if account.opened_on < FIRST_NON_HOUSEHOLD_DAY:
            account.opened_on = date.fromordinal(
                FIRST_NON_HOUSEHOLD_DAY.toordinal() + rng.randrange(365)
            )
        if account.opened_on >= self.plan.as_of:
            account.opened_on = self._day_in_history(rng)
            account.opened_on = max(account.opened_on, FIRST_NON_HOUSEHOLD_DAY)

    def _fit_meter(self, rng: random.Random, account: _Account) -> None:
        number = rng.randrange(10**7)
        if account.meter_type == "mechanical":
            account.meter_serial = f"{rng.choice(MECHANICAL_MAKES)}-{number:07d}"
        elif account.meter_type == "smart_card":
            make = rng.choice(tuple(SMART_CARD_MAKES))
            account.meter_serial = f"{SMART_CARD_MAKES[make]}-{number:07d}"
        else:
            account.meter_serial = None

    def _force_showcase(self, index: int, accounts: list[_Account], rng: random.Random) -> None:
        """The first citizens cover the cases a demo shows, at any size and seed."""
        households = [place for place in PLACES if place.region == "Bakı"]
        if index == 0:
            self._as_household(rng, accounts[0], households[0], "mechanical", wastewater=True)
            accounts[0].behaviour = "punctual"
            # A month estimated then corrected from the real reading: a visible recalculation.
            accounts[0].forced_estimate = len(self.months) - 3 if len(self.months) >= 4 else None
        elif index == 1:
            xirdalan = next(place for place in PLACES if place.city == "Xırdalan")
            quba = next(place for place in PLACES if place.city == "Quba")
            self._as_household(rng, accounts[0], households[1], "mechanical", wastewater=True)
            self._as_household(rng, accounts[1], xirdalan, "smart_card", wastewater=True)
            self._as_household(rng, accounts[2], quba, "none", wastewater=False)
            accounts[0].behaviour = "debtor"
        elif index == 2:
            sumqayit = next(place for place in PLACES if place.city == "Sumqayıt")
            self._as_household(rng, accounts[0], sumqayit, "smart_card", wastewater=True)
            accounts[1].place = sumqayit
            accounts[1].street = rng.choice(sumqayit.streets)
            accounts[1].closed_after = None
            self._make_non_population(rng, accounts[1])
            self._fit_meter(rng, accounts[1])
        elif index == 3 and len(self.months) >= 4:
            accounts[0].closed_after = len(self.months) - 3

    def _as_household(
        self,
        rng: random.Random,
        account: _Account,
        place: Place,
        meter_type: str,
        *,
        wastewater: bool,
    ) -> None:
        account.place = place
        account.street = rng.choice(place.streets)
        account.category = "population"
        account.persons = max(account.persons, 2)
        account.litres_per_person = rng.randint(2_500, 5_500)
        account.water = True
        account.wastewater = wastewater
        account.meter_type = meter_type
        account.closed_after = None
        first_day = self.months[0].first_day
        if account.opened_on >= first_day > FIRST_TARIFF_DAY:
            account.opened_on = date.fromordinal(
                FIRST_TARIFF_DAY.toordinal() + rng.randrange((first_day - FIRST_TARIFF_DAY).days)
            )
        self._fit_meter(rng, account)

    # -- a subscriber's invoices, revisions and payments -------------------------------------

    def _invoice_lines(
        self, zone: str, category: str, services: tuple[str, ...]
    ) -> list[tuple[tuple[str, str, int], ...]]:
        """Per month: each service with its invoice-number suffix and tariff in ten-thousandths.

        Filled month by month as it is billed: an account opened later has no tariff before.
        """
        key = (zone, category, services)
        if key not in self._lines:
            self._lines[key] = [() for _ in self.months]
        return self._lines[key]

    def _month_lines(
        self, index: int, zone: str, category: str, services: tuple[str, ...]
    ) -> tuple[tuple[str, str, int], ...]:
        month = self.months[index]
        lines = tuple(
            (service, _SUFFIX[service], _ten_thousandths(tariff_for_period(
                month.year, month.month, zone=zone, service=service, category=category
            )))
            for service in services
        )  # fmt: skip
        self._invoice_lines(zone, category, services)[index] = lines
        return lines

    def _bill(
        self, rng: random.Random, account: _Account, subscriber_id: int, code: str, chunk: Chunk
    ) -> None:
        # The hot loop of the generator: locals and integers only (see the module docstring).
        opened_on = account.opened_on
        first_index = max(0, opened_on.year * 12 + opened_on.month - 1 - self._first_month)
        last_index = len(self.months) - 1 if account.closed_after is None else account.closed_after
        services = tuple(
            s for s, on in (("water", account.water), ("wastewater", account.wastewater)) if on
        )
        zone, category = tariff_zone_of(account.place.region), account.category
        lines = self._invoice_lines(zone, category, services)
        meter_type = account.meter_type
        metered = meter_type != "none"
        mechanical = meter_type == "mechanical"
        usage = account.litres_per_person * max(account.persons, 1)
        forced_estimate = account.forced_estimate
        reading = rng.randint(50, 3_000) * 1_000
        actual: list[int] = []
        balance = 0
        payer = _Payer(self, rng, account, subscriber_id, code, chunk)
        # Last month's estimated lines: (position in chunk.invoices, the real figures).
        pending: list[tuple[int, int | None, int | None, int]] = []
        draw = rng.random
        invoices = chunk.invoices
        as_of = self._as_of

        for index in range(first_index, last_index + 1):
            issued_on = min(self._next_month_starts[index] + 1 + int(draw() * 4), as_of)
            issued_at = baku_midnight(issued_on) + _ISSUED_AT_SECONDS
            previous: int | None
            current: int | None
            if metered:
                litres = usage * self._season[index] * (80 + int(draw() * 41)) // 10_000
                if mechanical:
                    litres = (reading + litres) // 1_000 * 1_000 - reading  # dials show whole m³
                previous, current, basis = reading, reading + litres, "meter"
                reading += litres
            else:
                litres = self._norm_litres * account.persons
                previous = current = None
                basis = "norm"
            estimate = (
                mechanical
                and len(actual) >= 3
                and (index == forced_estimate or draw() < ESTIMATE_CHANCE)
            )
            billed, billed_current = litres, current
            if estimate:
                recent = actual[-12:]
                billed = (sum(recent) * 2 + len(recent)) // (2 * len(recent))
                billed_current, basis = None, "estimate"
            # Last month's estimate is corrected from this month's real reading: the estimate
            # becomes a revision and the invoice takes the real figures.
            for position, real_previous, real_current, real_litres in pending:
                self._correct(chunk, position, issued_on, issued_at)
                old = invoices[position]
                invoices[position] = (
                    old[0], old[1], old[2], old[3], old[4], real_previous, real_current,
                    real_litres, old[8], amount_qepik(real_litres, old[8]), "meter", issued_on,
                    issued_at,
                )  # fmt: skip
            pending = []
            label = self._labels[index]
            stamp = self._stamps[index]
            month_lines = lines[index] or self._month_lines(index, zone, category, services)
            for service, suffix, tariff in month_lines:
                amount = amount_qepik(billed, tariff)
                self._invoice_id += 1
                if estimate:
                    pending.append((len(invoices), previous, current, litres))
                invoices.append(
                    (self._invoice_id, f"{stamp}-{code}-{suffix}", subscriber_id,
                     label, service, previous, billed_current, billed, tariff, amount, basis,
                     issued_on, issued_at)
                )  # fmt: skip
                balance += amount
            if metered:
                actual.append(litres)
            balance = payer.pay_after(index, issued_on, balance)
        if account.closed_after is not None:
            payer.settle(last_index, balance)

    def _correct(self, chunk: Chunk, position: int, issued_on: int, issued_at: int) -> None:
        """Keep the estimated line as a revision, replaced at ``issued_at``."""
        line = chunk.invoices[position]
        self._revision_id += 1
        chunk.revisions.append(
            (self._revision_id, line[0], line[1], line[5], line[6], line[7], line[8], line[9],
             line[10], line[11], issued_at)
        )  # fmt: skip


class _Payer:
    """How one subscriber pays: on time, ahead, late or in arrears; smart cards are topped up.

    Amounts are in qəpik; people pay round sums, so amounts are rounded up to whole manat or tens.
    """

    def __init__(
        self,
        generator: DemoGenerator,
        rng: random.Random,
        account: _Account,
        subscriber_id: int,
        code: str,
        chunk: Chunk,
    ) -> None:
        self.generator = generator
        self.rng = rng
        self.account = account
        self.subscriber_id = subscriber_id
        self.code = code
        self.chunk = chunk
        self.count = 0

    def pay_after(self, index: int, issued_on: int, balance: int) -> int:
        """Payments made between the invoice and the end of the next month, before ``as_of``."""
        rng, behaviour = self.rng, self.account.behaviour
        latest = self.generator._pay_until[index]
        if self.account.meter_type == "smart_card":
            if balance > -300:
                amount = _ceil_to(balance + rng.choice((5, 10, 20)) * 100, 1_000)
                card = rng.random() < 0.8
                return balance - self._pay(issued_on, latest, amount, card=card)
            return balance
        if balance <= 0:
            return balance
        if behaviour == "punctual":
            if rng.random() < 0.05:
                return balance
            amount = _ceil_to(balance, 100) if rng.random() < 0.3 else balance
        elif behaviour == "advance":
            if balance <= -500:
                return balance
            amount = _ceil_to(balance + 2_000, 1_000)
        elif behaviour == "late":
            if rng.random() < 0.6:
                return balance
            amount = balance
        else:
            if rng.random() < 0.65:
                return balance
            share = _uniform(rng, 30, 70)  # per cent
            amount = max(_ceil_to(balance * share, 10_000) // 100, 100)
        return balance - self._pay(issued_on, latest, amount, card=False)

    def settle(self, last_index: int, balance: int) -> None:
        """A closed account: most holders pay what is left when the account is closed."""
        if balance > 0 and self.rng.random() < 0.7:
            closing = self.generator.months[last_index].shift(1)
            earliest = closing.first_day.toordinal()
            self._pay(earliest, self.generator._last_pay_day(closing), balance, card=False)

    def _pay(self, earliest: int, latest: int, amount: int, *, card: bool) -> int:
        rng = self.rng
        if latest < earliest or amount <= 0:
            return 0
        day = earliest + _uniform(rng, 0, latest - earliest)
        paid_at = baku_midnight(day) + _uniform(rng, _FIRST_PAYMENT_SECOND, _LAST_PAYMENT_SECOND)
        if card:
            channel = "smart_card"
        elif rng.random() < 0.7:
            channel = self.account.channel
        else:
            channel = rng.choice(ONLINE_CHANNELS)
        self.count += 1
        payment_id = f"{_CHANNEL_PREFIX[channel]}{self.code}{self.count:04d}"
        generator = self.generator
        generator._payment_id += 1
        self.chunk.payments.append(
            (generator._payment_id, channel, payment_id, self.subscriber_id, paid_at, amount,
             None, paid_at + _uniform(rng, 2, 900))
        )  # fmt: skip
        return amount
