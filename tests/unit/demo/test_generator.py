"""The demo generator's rules, checked over every row it produces for a small population."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from itertools import pairwise
from typing import Any

from waterbill.billing.tariffs import tariff_for_period
from waterbill.calendar import BAKU, YearMonth, baku_date
from waterbill.demo.generator import (
    CHANNELS,
    Chunk,
    DemoCitizen,
    DemoGenerator,
    DemoPlan,
    as_dicts,
    fin_for,
    history_months,
    plan_shards,
)
from waterbill.identifiers import FIN_PATTERN

AS_OF = date(2026, 11, 26)
NORM = Decimal("3")
Row = dict[str, Any]


@dataclass
class Generated:
    subscribers: list[Row] = field(default_factory=list)
    invoices: list[Row] = field(default_factory=list)
    revisions: list[Row] = field(default_factory=list)
    payments: list[Row] = field(default_factory=list)
    chunk_sizes: list[int] = field(default_factory=list)
    citizens: list[DemoCitizen] = field(default_factory=list)


def generate(
    subscribers: int = 150, seed: int = 7, months: int = 24, chunk_size: int = 40
) -> Generated:
    plan = DemoPlan(
        subscribers=subscribers,
        seed=seed,
        months=months,
        as_of=AS_OF,
        norm_m3_per_person=NORM,
        chunk_size=chunk_size,
    )
    generator = DemoGenerator(plan)
    out = Generated()
    for chunk in generator.chunks():
        out.chunk_sizes.append(len(chunk.subscribers))
        rows = as_dicts(chunk)
        out.subscribers += rows["subscribers"]
        out.invoices += rows["invoices"]
        out.revisions += rows["revisions"]
        out.payments += rows["payments"]
    out.citizens = generator.citizens
    return out


@cache
def sample() -> Generated:
    return generate()


def by_id(rows: list[Row]) -> dict[int, Row]:
    return {row["id"]: row for row in rows}


def test_the_same_seed_gives_identical_rows_and_another_seed_does_not() -> None:
    first, again, other = generate(60), generate(60), generate(60, seed=8)
    assert first.subscribers == again.subscribers
    assert first.invoices == again.invoices
    assert first.revisions == again.revisions
    assert first.payments == again.payments
    assert first.subscribers != other.subscribers


def test_history_ends_with_the_month_before_as_of_and_has_the_asked_length() -> None:
    months = history_months(AS_OF, 24)
    assert str(months[-1]) == "2026-10"
    assert str(months[0]) == "2024-11"
    periods = {row["period"] for row in sample().invoices}
    assert max(periods) == "2026-10"
    assert min(periods) == "2024-11"


def test_memory_stays_flat_because_chunks_stay_near_the_chunk_size() -> None:
    # A citizen's accounts stay in one chunk, so a chunk overshoots by at most two accounts.
    assert max(sample().chunk_sizes) <= 40 + 2
    assert sum(sample().chunk_sizes) == 150


def test_every_invoice_uses_the_tariff_of_its_zone_period_service_and_category() -> None:
    generated = sample()
    subscribers = by_id(generated.subscribers)
    for invoice in generated.invoices:
        subscriber = subscribers[invoice["subscriber_id"]]
        period = YearMonth.parse(invoice["period"])
        assert invoice["tariff"] == tariff_for_period(
            period.year,
            period.month,
            zone=subscriber["tariff_zone"],
            service=invoice["service"],
            category=subscriber["category"],
        )


def test_the_2021_tariff_change_shows_when_history_reaches_back_that_far() -> None:
    generated = generate(40, months=72)
    baku_water = {
        (row["period"], row["tariff"])
        for row in generated.invoices
        if row["service"] == "water"
        and by_id(generated.subscribers)[row["subscriber_id"]]["tariff_zone"] == "baku_absheron"
        and by_id(generated.subscribers)[row["subscriber_id"]]["category"] == "population"
    }
    assert ("2021-01", Decimal("0.35")) in baku_water
    assert ("2021-02", Decimal("0.70")) in baku_water


def test_the_tariff_zone_follows_the_place() -> None:
    for subscriber in sample().subscribers:
        in_zone = subscriber["region"] in {"Bakı", "Sumqayıt", "Abşeron"}
        assert (subscriber["tariff_zone"] == "baku_absheron") == in_zone
    cities = {row["city"] for row in sample().subscribers}
    assert {"Bakı", "Sumqayıt", "Xırdalan", "Quba"} <= cities
    districts = {row["district"] for row in sample().subscribers if row["city"] == "Bakı"}
    assert len(districts) >= 6


def test_amounts_are_consumption_times_tariff_rounded_half_up_exactly() -> None:
    for row in sample().invoices + sample().revisions:
        expected = (row["consumption_m3"] * row["tariff"]).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        assert row["amount"] == expected
        assert isinstance(row["amount"], Decimal)
        assert row["consumption_m3"].as_tuple().exponent == -3


def test_meterless_households_are_billed_the_norm_times_persons() -> None:
    generated = sample()
    subscribers = by_id(generated.subscribers)
    norm_lines = [row for row in generated.invoices if row["basis"] == "norm"]
    assert norm_lines
    for row in generated.invoices:
        subscriber = subscribers[row["subscriber_id"]]
        assert (row["basis"] == "norm") == (subscriber["meter_type"] == "none")
        if row["basis"] == "norm":
            assert row["consumption_m3"] == NORM * subscriber["persons_served"]
            assert row["previous_reading"] is None
            assert row["current_reading"] is None


def test_meter_readings_only_go_up_and_each_month_starts_where_the_last_ended() -> None:
    lines: dict[tuple[int, str], list[Row]] = defaultdict(list)
    for row in sample().invoices:
        if row["previous_reading"] is not None:
            lines[(row["subscriber_id"], row["service"])].append(row)
    assert lines
    for rows in lines.values():
        rows.sort(key=lambda row: row["period"])
        for before, after in pairwise(rows):
            assert after["previous_reading"] == before["current_reading"]
        for row in rows:
            if row["basis"] == "meter":
                assert row["current_reading"] - row["previous_reading"] == row["consumption_m3"]


def test_summer_months_use_more_water_than_winter_months() -> None:
    generated = sample()
    metered = {
        row["id"]: row["persons_served"]
        for row in generated.subscribers
        if row["meter_type"] != "none" and row["category"] == "population"
    }
    per_month: dict[str, list[Decimal]] = defaultdict(list)
    for row in generated.invoices:
        if row["service"] == "water" and row["subscriber_id"] in metered:
            per_month[row["period"][5:]].append(row["consumption_m3"])
    summer = sum(per_month["07"] + per_month["08"]) / len(per_month["07"] + per_month["08"])
    winter = sum(per_month["01"] + per_month["02"]) / len(per_month["01"] + per_month["02"])
    assert summer > winter * Decimal("1.4")


def test_fins_have_the_real_alphabet_and_each_citizen_has_one() -> None:
    people: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for row in sample().subscribers:
        assert FIN_PATTERN.match(row["holder_fin"])
        people[row["holder_fin"]].add((row["surname"], row["name"], row["patronymic"]))
    assert all(len(names) == 1 for names in people.values())
    assert len({fin_for(7, citizen) for citizen in range(50_000)}) == 50_000


def test_subscriber_codes_are_ten_unique_digits() -> None:
    codes = [row["code"] for row in sample().subscribers]
    assert len(set(codes)) == len(codes)
    assert all(len(code) == 10 and code.isdigit() for code in codes)


def test_names_carry_a_patronymic_and_surnames_agree_with_gender() -> None:
    for row in sample().subscribers:
        father, word = row["patronymic"].rsplit(" ", 1)
        assert father
        assert word in {"oğlu", "qızı"}
        if row["surname"].endswith(("ov", "yev")):
            assert word == "oğlu"
        if row["surname"].endswith(("ova", "yeva")):
            assert word == "qızı"


def test_estimated_months_are_later_corrected_and_the_estimate_kept_as_a_revision() -> None:
    generated = sample()
    invoices = by_id(generated.invoices)
    assert generated.revisions
    for revision in generated.revisions:
        invoice = invoices[revision["invoice_id"]]
        assert revision["basis"] == "estimate"
        assert invoice["basis"] == "meter"
        assert revision["invoice_no"] == invoice["invoice_no"]
        assert revision["current_reading"] is None
        assert revision["tariff"] == invoice["tariff"]
        assert invoice["issued_on"] > revision["issued_on"]
        assert baku_date(revision["replaced_at"]) == invoice["issued_on"]


def test_households_with_several_accounts_water_only_non_population_and_closed_exist() -> None:
    generated = sample()
    accounts: dict[str, int] = defaultdict(int)
    for row in generated.subscribers:
        accounts[row["holder_fin"]] += 1
    assert {2, 3} <= set(accounts.values())
    assert any(not row["wastewater_service"] for row in generated.subscribers)
    non_population = [row for row in generated.subscribers if row["category"] == "non_population"]
    assert non_population
    for subscriber in non_population:
        lines = [row for row in generated.invoices if row["subscriber_id"] == subscriber["id"]]
        assert {row["service"] for row in lines} <= {"water"}
        assert {row["tariff"] for row in lines} <= {Decimal("1.00")}
    closed = [row for row in generated.subscribers if row["status"] == "closed"]
    assert closed
    last_month = str(history_months(AS_OF, 24)[-1])
    for subscriber in closed:
        periods = [
            row["period"] for row in generated.invoices if row["subscriber_id"] == subscriber["id"]
        ]
        assert max(periods) < last_month


def test_payments_come_through_every_channel_before_as_of_with_unique_ids() -> None:
    generated = sample()
    subscribers = by_id(generated.subscribers)
    assert {row["channel"] for row in generated.payments} == set(CHANNELS)
    keys = [(row["channel"], row["payment_id"]) for row in generated.payments]
    assert len(set(keys)) == len(keys)
    for row in generated.payments:
        assert row["amount"] > 0
        assert row["paid_at"].astimezone(BAKU).date() < AS_OF
        assert row["received_at"] >= row["paid_at"]
        if row["channel"] == "smart_card":
            assert subscribers[row["subscriber_id"]]["meter_type"] == "smart_card"


def test_some_accounts_end_in_arrears_and_some_in_advance() -> None:
    generated = sample()
    balance: dict[int, Decimal] = defaultdict(Decimal)
    for row in generated.invoices:
        balance[row["subscriber_id"]] += row["amount"]
    for row in generated.payments:
        balance[row["subscriber_id"]] -= row["amount"]
    assert sum(1 for value in balance.values() if value > 0) >= 10
    assert sum(1 for value in balance.values() if value < 0) >= 10


def test_the_first_demo_citizen_is_a_metered_household_with_both_services() -> None:
    citizens = sample().citizens
    first = citizens[0].accounts[0]
    assert first.category == "population"
    assert first.meter_type in {"mechanical", "smart_card"}
    assert first.services == ("water", "wastewater")
    assert first.status == "active"
    assert any(len(citizen.accounts) >= 2 for citizen in citizens)
    codes = {row["code"]: row["holder_fin"] for row in sample().subscribers}
    for citizen in citizens:
        assert all(codes[account.code] == citizen.fin for account in citizen.accounts)


def test_the_first_citizen_shows_a_recalculated_month() -> None:
    generated = sample()
    first_code = generated.citizens[0].accounts[0].code
    first_id = next(row["id"] for row in generated.subscribers if row["code"] == first_code)
    recalculated = {
        by_id(generated.invoices)[revision["invoice_id"]]["subscriber_id"]
        for revision in generated.revisions
    }
    assert first_id in recalculated


def shifted(chunk: Chunk, before: dict[str, int]) -> Chunk:
    """A shard's rows with the invoice, revision and payment ids of the shards before added."""
    invoices, revisions, payments = before["invoices"], before["revisions"], before["payments"]
    return Chunk(
        subscribers=chunk.subscribers,
        invoices=[(row[0] + invoices, *row[1:]) for row in chunk.invoices],
        revisions=[(row[0] + revisions, row[1] + invoices, *row[2:]) for row in chunk.revisions],
        payments=[(row[0] + payments, *row[1:]) for row in chunk.payments],
    )


def test_shards_of_any_size_joined_in_order_are_exactly_a_single_run() -> None:
    plan = DemoPlan(subscribers=230, seed=5, months=24, as_of=AS_OF, norm_m3_per_person=NORM)
    single = DemoGenerator(plan)
    whole = single.whole()
    assert whole.revisions
    for size in (1, 7, 50, 229, 230, 10_000):
        shards = list(plan_shards(plan, size))
        joined = Chunk()
        before = {"subscribers": 0, "invoices": 0, "revisions": 0, "payments": 0}
        citizens = []
        for shard in shards:
            assert shard.subscribers_before == before["subscribers"]
            generator = DemoGenerator(plan, shard)
            part = shifted(generator.whole(), before)
            for name in ("subscribers", "invoices", "revisions", "payments"):
                getattr(joined, name).extend(getattr(part, name))
                before[name] += generator.counts[name]
            citizens += generator.citizens
        assert joined == whole, size
        assert before == single.counts
        assert citizens == single.citizens
        assert [shard.first_citizen for shard in shards[1:]] == [
            shard.stop_citizen for shard in shards[:-1]
        ]


def test_shards_hold_whole_citizens_and_about_the_asked_number_of_subscribers() -> None:
    plan = DemoPlan(subscribers=500, seed=2, months=12, as_of=AS_OF, norm_m3_per_person=NORM)
    shards = list(plan_shards(plan, 40))
    assert sum(shard.subscribers for shard in shards) == 500
    # A citizen holds at most three accounts, so a shard overshoots by at most two.
    assert all(40 <= shard.subscribers <= 42 for shard in shards[:-1])
    for shard in shards:
        rows = DemoGenerator(plan, shard).whole().subscribers
        assert len(rows) == shard.subscribers
        holders = [row[2] for row in rows]
        assert holders[0] != fin_for(2, shard.first_citizen - 1)
        assert holders[-1] == fin_for(2, shard.stop_citizen - 1)
