"""The dispute's rules: months, services, reasons, text, statuses and reference numbers."""

from __future__ import annotations

from datetime import date

import pytest

from waterbill.calendar import Window, YearMonth
from waterbill.disputes.domain import (
    OPEN_STATUSES,
    STATUSES,
    TRANSITIONS,
    check_transition,
    clean_text,
    format_reference,
    is_reference,
    parse_period,
    parse_reason,
    parse_service,
)
from waterbill.disputes.errors import (
    DisputeStatusConflict,
    MalformedPeriod,
    PeriodOutsideStatement,
    ServiceNotProvided,
    TextNotPrintable,
    TextRequired,
    TextTooLong,
    UnknownReason,
    UnknownService,
)

WINDOW = Window.ending(date(2026, 11, 26))


def test_reference_numbers_read_like_azersus_and_keep_growing_past_six_digits() -> None:
    assert format_reference(2026, 123) == "AZS-2026-000123"
    assert format_reference(2027, 1_234_567) == "AZS-2027-1234567"
    assert is_reference("AZS-2026-000123")
    assert not is_reference("AZS-2026-123")
    assert not is_reference("azs-2026-000123 ")


def test_each_of_the_twelve_statement_months_can_be_disputed() -> None:
    assert parse_period("2025-12", window=WINDOW) == YearMonth(2025, 12)
    assert parse_period(" 2026-11 ", window=WINDOW) == YearMonth(2026, 11)


@pytest.mark.parametrize("raw", ["2025-11", "2026-12", "2019-01"])
def test_a_month_outside_the_statement_is_refused_with_the_range_shown(raw: str) -> None:
    with pytest.raises(PeriodOutsideStatement) as refused:
        parse_period(raw, window=WINDOW)
    assert refused.value.params == {"first": "2025-12", "last": "2026-11"}


@pytest.mark.parametrize("raw", ["", "2026/03", "2026-13", "March 2026", "26-03"])
def test_a_month_not_written_yyyy_mm_is_refused(raw: str) -> None:
    with pytest.raises(MalformedPeriod):
        parse_period(raw, window=WINDOW)


def test_a_service_must_be_known_and_provided_to_the_account() -> None:
    assert parse_service("wastewater", provided=("water", "wastewater")) == "wastewater"
    with pytest.raises(UnknownService):
        parse_service("electricity", provided=("water", "wastewater"))
    with pytest.raises(ServiceNotProvided):
        parse_service("wastewater", provided=("water",))


def test_only_the_listed_reasons_are_accepted() -> None:
    assert parse_reason("norm_applied_with_meter") == "norm_applied_with_meter"
    with pytest.raises(UnknownReason):
        parse_reason("angry")


def test_text_is_trimmed_normalised_and_keeps_its_line_breaks() -> None:
    decomposed = "Sayg\u0306ac\r\nüç ay"  # ğ written as g + combining breve
    assert clean_text(decomposed, required=True, max_length=100) == "Sayğac\nüç ay"


def test_text_is_required_only_when_asked_and_whitespace_does_not_count() -> None:
    assert clean_text("   ", required=False, max_length=10) == ""
    with pytest.raises(TextRequired) as refused:
        clean_text(" \n\t ", required=True, max_length=10, what="answer")
    assert refused.value.params == {"reason": "answer"}


def test_text_longer_than_the_limit_is_refused_with_both_lengths() -> None:
    assert clean_text("ə" * 10, required=True, max_length=10) == "ə" * 10
    with pytest.raises(TextTooLong) as refused:
        clean_text("ə" * 11, required=True, max_length=10)
    assert refused.value.params == {"max_length": 10, "length": 11}


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\u202e", "\u200b"])
def test_invisible_control_characters_are_refused(char: str) -> None:
    with pytest.raises(TextNotPrintable):
        clean_text(f"ok{char}ok", required=True, max_length=100)


def test_a_request_moves_forward_only_and_closed_is_final() -> None:
    assert OPEN_STATUSES == ("received", "under_review", "answered")
    check_transition("received", "under_review")
    check_transition("under_review", "answered")
    check_transition("answered", "closed")
    check_transition("received", "closed")
    for wanted in STATUSES:
        with pytest.raises(DisputeStatusConflict):
            check_transition("closed", wanted)
    with pytest.raises(DisputeStatusConflict):
        check_transition("answered", "under_review")
    assert all("received" not in targets for targets in TRANSITIONS.values())
