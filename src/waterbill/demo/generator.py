"""Deterministic demo data, generated citizen by citizen and handed out in chunks.

Pure: no database, no clock. Every citizen draws from a random generator seeded by (seed, citizen
number), so the same seed, size, months and ``as_of`` give the same rows, and memory stays flat at
any size because only one chunk exists at a time. Money is Decimal; volumes are counted in whole
litres (integers) and turned into Decimal m³ with three decimals.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from waterbill.billing.tariffs import (
    HOUSEHOLD_TARIFFS,
    LITRE,
    NON_HOUSEHOLD_WATER,
    invoice_amount,
    tariff_for_period,
    tariff_zone_of,
)
from waterbill.demo.names import (
    FEMALE_NAMES,
    GENDERED_SURNAMES,
    INVARIANT_SURNAMES,
    MALE_NAMES,
    patronymic_for,
    surname_for,
)
from waterbill.demo.places import PLACES, REGION_PREFIX, Place
from waterbill.statement.domain import BAKU, YearMonth

Row = dict[str, Any]

FIN_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I and no O
FIN_SPACE = len(FIN_ALPHABET) ** 7
# Multipliers coprime to their modulus make index → identifier a bijection: never a duplicate.
FIN_MULTIPLIER = 32_461_215_589
CODE_SPACE = 10**8
CODE_MULTIPLIER = 61_803_399
SERIAL_MULTIPLIER = 3_141_593

ONLINE_CHANNELS = ("bank", "bank_app", "azerpost", "million", "emanat", "asan_kommunal")
CHANNELS = (*ONLINE_CHANNELS, "smart_card")
_CHANNEL_WEIGHTS = (12, 32, 10, 15, 16, 15)
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
_PERSON_WEIGHTS = (8, 14, 20, 24, 18, 10, 6)
BEHAVIOURS = ("punctual", "advance", "late", "debtor")
_BEHAVIOUR_WEIGHTS = (55, 15, 20, 10)
FIRST_TARIFF_DAY = HOUSEHOLD_TARIFFS[0].in_force_from
FIRST_NON_HOUSEHOLD_DAY = NON_HOUSEHOLD_WATER[0][0]


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
    subscribers: list[Row] = field(default_factory=list)
    invoices: list[Row] = field(default_factory=list)
    revisions: list[Row] = field(default_factory=list)
    payments: list[Row] = field(default_factory=list)


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


def m3(litres: int) -> Decimal:
    return Decimal(litres).scaleb(-3)


@lru_cache(maxsize=8192)
def _baku_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), BAKU).astimezone(UTC)


def _baku_instant(day: date, seconds: int) -> datetime:
    return _baku_midnight(day) + timedelta(seconds=seconds)


class DemoGenerator:
    """Streams chunks of rows; ``citizens`` lists the first few holders to sign in as."""

    def __init__(self, plan: DemoPlan) -> None:
        self.plan = plan
        self.months = history_months(plan.as_of, plan.months)
        self.citizens: list[DemoCitizen] = []
        self.counts = {"subscribers": 0, "invoices": 0, "revisions": 0, "payments": 0}
        self._stamp = _baku_instant(plan.as_of, 0)
        self._norm_litres = int((plan.norm_m3_per_person / LITRE).to_integral_value(ROUND_HALF_UP))
        self._tariffs: dict[tuple[YearMonth, str, str, str], Decimal] = {}
        self._next_month_starts = [month.shift(1).first_day for month in self.months]
        self._labels = [str(month) for month in self.months]

    def chunks(self) -> Iterator[Chunk]:
        chunk = Chunk()
        citizen = 0
        while self.counts["subscribers"] < self.plan.subscribers:
            self._citizen(citizen, chunk)
            citizen += 1
            if len(chunk.subscribers) >= self.plan.chunk_size:
                yield chunk
                chunk = Chunk()
        if chunk.subscribers:
            yield chunk

    # -- citizens and their accounts ---------------------------------------------------------

    def _citizen(self, index: int, chunk: Chunk) -> None:
        # Reproducible made-up people, not secrets: a seeded generator is the point.
        rng = random.Random(f"waterbill-demo:{self.plan.seed}:{index}")  # noqa: S311
        female = rng.random() < 0.45
        root = rng.choice(INVARIANT_SURNAMES if rng.random() < 0.12 else GENDERED_SURNAMES)
        surname = surname_for(root, female=female)
        name = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
        patronymic = patronymic_for(rng.choice(MALE_NAMES), female=female)
        fin = fin_for(self.plan.seed, index)
        accounts = [self._draw_account(rng) for _ in range(self._account_count(rng, index))]
        self._force_showcase(index, accounts, rng)

        demo_accounts: list[DemoAccount] = []
        for account in accounts:
            if self.counts["subscribers"] >= self.plan.subscribers:
                break
            subscriber_id = self.counts["subscribers"] + 1
            self.counts["subscribers"] = subscriber_id
            code = code_for(self.plan.seed, subscriber_id, account.place.region)
            status = "closed" if account.closed_after is not None else "active"
            chunk.subscribers.append(
                {
                    "id": subscriber_id,
                    "code": code,
                    "holder_fin": fin,
                    "surname": surname,
                    "name": name,
                    "patronymic": patronymic,
                    "region": account.place.region,
                    "city": account.place.city,
                    "district": account.place.district,
                    "street": account.street,
                    "building": account.building,
                    "apartment": account.apartment,
                    "persons_served": account.persons,
                    "water_service": account.water,
                    "wastewater_service": account.wastewater,
                    "meter_type": account.meter_type,
                    "meter_serial": account.meter_serial,
                    "tariff_zone": tariff_zone_of(account.place.region),
                    "category": account.category,
                    "status": status,
                    "opened_on": account.opened_on,
                    "updated_at": self._stamp,
                }
            )
            self._bill(rng, account, subscriber_id, code, chunk)
            services = tuple(
                service
                for service, on in (("water", account.water), ("wastewater", account.wastewater))
                if on
            )
            demo_accounts.append(
                DemoAccount(
                    code=code,
                    place=account.place.city,
                    meter_type=account.meter_type,
                    services=services,
                    category=account.category,
                    status=status,
                )
            )
        if index < 3 and demo_accounts:
            self.citizens.append(DemoCitizen(fin, surname, name, patronymic, tuple(demo_accounts)))

    @staticmethod
    def _account_count(rng: random.Random, index: int) -> int:
        drawn = rng.choices((1, 2, 3), weights=(85, 11, 4))[0]
        return {0: 1, 1: 3, 2: 2, 3: 1}.get(index, drawn)

    def _draw_account(self, rng: random.Random) -> _Account:
        place = rng.choices(PLACES, weights=[place.weight for place in PLACES])[0]
        in_flats = rng.randrange(100) < place.apartment_share
        zone = tariff_zone_of(place.region)
        meter_type = rng.choices(
            ("mechanical", "smart_card", "none"),
            weights=(70, 15, 15) if zone == "baku_absheron" else (50, 20, 30),
        )[0]
        first_day = self.months[0].first_day
        if rng.random() < 0.9 and first_day > FIRST_TARIFF_DAY:
            opened_on = FIRST_TARIFF_DAY + timedelta(
                days=rng.randrange((first_day - FIRST_TARIFF_DAY).days)
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
            persons=rng.choices(PERSONS, weights=_PERSON_WEIGHTS)[0],
            water=True,
            wastewater=rng.random() < (0.9 if in_flats else 0.45),
            meter_type=meter_type,
            meter_serial=None,
            category="population",
            opened_on=opened_on,
            closed_after=closed_after,
            behaviour=rng.choices(BEHAVIOURS, weights=_BEHAVIOUR_WEIGHTS)[0],
            channel=rng.choices(ONLINE_CHANNELS, weights=_CHANNEL_WEIGHTS)[0],
            litres_per_person=rng.randint(2_500, 5_500),
        )
        if rng.random() < 0.02:
            self._make_non_population(rng, account)
        self._fit_meter(rng, account)
        return account

    def _day_in_history(self, rng: random.Random) -> date:
        month = self.months[rng.randrange(len(self.months))]
        return month.first_day + timedelta(days=rng.randrange(28))

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
            account.opened_on = FIRST_NON_HOUSEHOLD_DAY + timedelta(days=rng.randrange(365))
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
            account.opened_on = FIRST_TARIFF_DAY + timedelta(
                days=rng.randrange((first_day - FIRST_TARIFF_DAY).days)
            )
        self._fit_meter(rng, account)

    # -- a subscriber's invoices, revisions and payments -------------------------------------

    def _tariff(self, period: YearMonth, zone: str, service: str, category: str) -> Decimal:
        key = (period, zone, service, category)
        if key not in self._tariffs:
            self._tariffs[key] = tariff_for_period(
                period.year, period.month, zone=zone, service=service, category=category
            )
        return self._tariffs[key]

    def _issue_day(self, rng: random.Random, index: int) -> date:
        return min(
            self._next_month_starts[index] + timedelta(days=_uniform(rng, 1, 4)), self.plan.as_of
        )

    def _bill(
        self, rng: random.Random, account: _Account, subscriber_id: int, code: str, chunk: Chunk
    ) -> None:
        opened = YearMonth.of(account.opened_on)
        last_index = len(self.months) - 1 if account.closed_after is None else account.closed_after
        zone = tariff_zone_of(account.place.region)
        services = [
            s for s, on in (("water", account.water), ("wastewater", account.wastewater)) if on
        ]
        reading = rng.randint(50, 3_000) * 1_000
        actual: list[int] = []
        balance = Decimal("0.00")
        payer = _Payer(self, rng, account, subscriber_id, code, chunk)
        pending_estimate: list[Row] = []

        for index in range(last_index + 1):
            period = self.months[index]
            if period < opened:
                continue
            issued_on = self._issue_day(rng, index)
            issued_at = _baku_instant(issued_on, 9 * 3600)
            if account.meter_type == "none":
                litres = self._norm_litres * account.persons
                previous: int | None = None
                current: int | None = None
                basis = "norm"
            else:
                litres = (
                    account.litres_per_person
                    * max(account.persons, 1)
                    * SEASON_PERCENT[period.month]
                    * _uniform(rng, 80, 120)
                    // 10_000
                )
                if account.meter_type == "mechanical":
                    litres = (reading + litres) // 1_000 * 1_000 - reading  # dials show whole m³
                previous, current, basis = reading, reading + litres, "meter"
                reading += litres
            estimate = (
                account.meter_type == "mechanical"
                and len(actual) >= 3
                and (index == account.forced_estimate or rng.random() < ESTIMATE_CHANCE)
            )
            lines: list[Row] = []
            stamp = f"{period.year:04d}{period.month:02d}"
            for service in services:
                tariff = self._tariff(period, zone, service, account.category)
                lines.append(
                    {
                        "id": 0,
                        "invoice_no": f"{stamp}-{code}-{_SUFFIX[service]}",
                        "subscriber_id": subscriber_id,
                        "period": self._labels[index],
                        "service": service,
                        "previous_reading": m3(previous) if previous is not None else None,
                        "current_reading": m3(current) if current is not None else None,
                        "consumption_m3": m3(litres),
                        "tariff": tariff,
                        "amount": invoice_amount(m3(litres), tariff),
                        "basis": basis,
                        "issued_on": issued_on,
                        "updated_at": issued_at,
                    }
                )
            if estimate:
                recent = actual[-12:]
                estimated = (sum(recent) * 2 + len(recent)) // (2 * len(recent))
                for line in lines:
                    line.update(
                        current_reading=None,
                        consumption_m3=m3(estimated),
                        amount=invoice_amount(m3(estimated), line["tariff"]),
                        basis="estimate",
                    )
            # Last month's estimate is corrected from this month's real reading: the estimate
            # becomes a revision and the invoice takes the real figures.
            for old in pending_estimate:
                self._correct(old, issued_on, issued_at, chunk)
            pending_estimate = []
            for line in lines:
                self.counts["invoices"] += 1
                line["id"] = self.counts["invoices"]
                chunk.invoices.append(line)
                balance += line["amount"]
                if estimate:
                    pending_estimate.append(line)
            if account.meter_type != "none":
                actual.append(litres)
            if estimate:
                # Keep what the real reading will say once it is taken.
                for line in lines:
                    line["_actual"] = (previous, current, litres)
            balance = payer.pay_after(period, issued_on, balance)
        if account.closed_after is not None:
            payer.settle(self.months[last_index], balance)
        for line in pending_estimate:
            line.pop("_actual")  # never corrected: the account closed or history ends here

    def _correct(self, line: Row, issued_on: date, issued_at: datetime, chunk: Chunk) -> None:
        previous, current, litres = line.pop("_actual")
        self.counts["revisions"] += 1
        chunk.revisions.append(
            {
                "id": self.counts["revisions"],
                "invoice_id": line["id"],
                "invoice_no": line["invoice_no"],
                "previous_reading": line["previous_reading"],
                "current_reading": line["current_reading"],
                "consumption_m3": line["consumption_m3"],
                "tariff": line["tariff"],
                "amount": line["amount"],
                "basis": line["basis"],
                "issued_on": line["issued_on"],
                "replaced_at": issued_at,
            }
        )
        line.update(
            previous_reading=m3(previous),
            current_reading=m3(current),
            consumption_m3=m3(litres),
            amount=invoice_amount(m3(litres), line["tariff"]),
            basis="meter",
            issued_on=issued_on,
            updated_at=issued_at,
        )


class _Payer:
    """How one subscriber pays: on time, ahead, late or in arrears; smart cards are topped up."""

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

    def pay_after(self, period: YearMonth, issued_on: date, balance: Decimal) -> Decimal:
        """Payments made between the invoice and the end of the next month, before ``as_of``."""
        rng, behaviour = self.rng, self.account.behaviour
        if self.account.meter_type == "smart_card":
            if balance > Decimal("-3"):
                amount = _round_up(balance + rng.choice((5, 10, 20)), 10)
                card = rng.random() < 0.8
                return balance - self._pay(period, issued_on, amount, card=card)
            return balance
        if balance <= 0:
            return balance
        if behaviour == "punctual":
            if rng.random() < 0.05:
                return balance
            amount = _round_up(balance, 1) if rng.random() < 0.3 else balance
        elif behaviour == "advance":
            if balance <= Decimal("-5"):
                return balance
            amount = _round_up(balance + 20, 10)
        elif behaviour == "late":
            if rng.random() < 0.6:
                return balance
            amount = balance
        else:
            if rng.random() < 0.65:
                return balance
            share = Decimal(_uniform(rng, 30, 70)) / 100
            amount = max(_round_up(balance * share, 1), Decimal("1.00"))
        return balance - self._pay(period, issued_on, amount, card=False)

    def settle(self, period: YearMonth, balance: Decimal) -> None:
        """A closed account: most holders pay what is left when the account is closed."""
        if balance > 0 and self.rng.random() < 0.7:
            self._pay(period.shift(1), period.shift(1).first_day, balance, card=False)

    def _pay(self, period: YearMonth, earliest: date, amount: Decimal, *, card: bool) -> Decimal:
        rng = self.rng
        latest = min(period.shift(2).first_day, self.generator.plan.as_of) - timedelta(days=1)
        if latest < earliest or amount <= 0:
            return Decimal("0.00")
        day = earliest + timedelta(days=_uniform(rng, 0, (latest - earliest).days))
        paid_at = _baku_instant(day, _uniform(rng, 8 * 3600, 23 * 3600 - 1))
        if card:
            channel = "smart_card"
        elif rng.random() < 0.7:
            channel = self.account.channel
        else:
            channel = rng.choice(ONLINE_CHANNELS)
        self.count += 1
        self.generator.counts["payments"] += 1
        self.chunk.payments.append(
            {
                "id": self.generator.counts["payments"],
                "channel": channel,
                "payment_id": f"{_CHANNEL_PREFIX[channel]}{self.code}{self.count:04d}",
                "subscriber_id": self.subscriber_id,
                "paid_at": paid_at,
                "amount": amount,
                "reverses": None,
                "received_at": paid_at + timedelta(seconds=_uniform(rng, 2, 900)),
            }
        )
        return amount


def _round_up(amount: Decimal, step: int) -> Decimal:
    """Up to the next multiple of ``step`` manat: people pay round sums."""
    steps = (amount / step).to_integral_value(rounding=ROUND_CEILING)
    return (steps * step).quantize(Decimal("0.01"))
