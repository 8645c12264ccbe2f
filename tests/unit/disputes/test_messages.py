"""Every refusal of the dispute service speaks Azerbaijani, English and Russian."""

from __future__ import annotations

import inspect
import re

import pytest

from waterbill.disputes import errors
from waterbill.disputes.domain import REASONS, STATUSES
from waterbill.disputes.messages import ERRORS, error_text, reason_label, status_label
from waterbill.errors import ServiceError

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_DISPUTE_ERRORS = [
    cls
    for _, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, ServiceError) and cls is not ServiceError
]


@pytest.mark.parametrize("key", sorted(ERRORS))
def test_each_message_exists_in_three_languages_with_the_same_placeholders(key: str) -> None:
    texts = ERRORS[key]
    assert set(texts) == {"az", "en", "ru"}
    assert all(text.strip() for text in texts.values())
    placeholders = {language: set(_PLACEHOLDER.findall(text)) for language, text in texts.items()}
    assert placeholders["az"] == placeholders["en"] == placeholders["ru"]


@pytest.mark.parametrize("cls", _DISPUTE_ERRORS, ids=lambda cls: cls.__name__)
def test_every_dispute_refusal_has_a_message(cls: type[ServiceError]) -> None:
    assert any(key == cls.code or key.startswith(f"{cls.code}.") for key in ERRORS)


def test_a_message_is_filled_in_and_refined_by_its_reason() -> None:
    assert error_text("text_too_long", {"max_length": 2000, "length": 2301}, "az") == (
        "Mətn ən çoxu 2000 simvol ola bilər (indi 2301)."
    )
    assert "holder" in error_text("forbidden", {"reason": "dispute"}, "en")
    assert error_text("rate_limited", {"reason": "dispute_daily", "limit": 5}, "ru").startswith(
        "В день можно подать не более 5"
    )


def test_an_unknown_language_falls_back_to_azerbaijani() -> None:
    assert error_text("unknown_reason", {}, "de") == error_text("unknown_reason", {}, "az")


def test_statuses_and_reasons_have_labels_in_every_language() -> None:
    for language in ("az", "en", "ru"):
        statuses = [status_label(status, language) for status in STATUSES]
        reasons = [reason_label(reason, language) for reason in REASONS]
        assert all(label.strip() for label in statuses + reasons)
        assert len(set(statuses)) == len(STATUSES)
        assert len(set(reasons)) == len(REASONS)
    assert status_label("under_review", "az") == "araşdırılır"
