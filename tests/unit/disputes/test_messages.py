"""Every refusal and label of the dispute service speaks Azerbaijani, English and Russian."""

from __future__ import annotations

import inspect
import re

import pytest

from waterbill.disputes import errors
from waterbill.disputes.messages import REASON_LABELS, SERVICE_LABELS, STATUS_LABELS
from waterbill.errors import ServiceError
from waterbill.i18n.catalogs import translations
from waterbill.i18n.messages import ERROR_MESSAGES, error_message

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
_DISPUTE_ERRORS = [
    cls
    for _, cls in inspect.getmembers(errors, inspect.isclass)
    if issubclass(cls, ServiceError) and cls is not ServiceError
]
# Codes refined by a reason, as the dispute service raises them.
_REFINED = [
    "forbidden.dispute",
    "forbidden.not_staff",
    "rate_limited.dispute_daily",
    "text_required.answer",
]
_DISPUTE_KEYS = sorted({cls.code for cls in _DISPUTE_ERRORS} | set(_REFINED))
_LABELS = [*STATUS_LABELS.values(), *REASON_LABELS.values(), *SERVICE_LABELS.values()]


@pytest.mark.parametrize("key", _DISPUTE_KEYS)
def test_every_dispute_refusal_has_a_message(key: str) -> None:
    assert key in ERROR_MESSAGES


@pytest.mark.parametrize("language", ["az", "ru"])
@pytest.mark.parametrize("key", _DISPUTE_KEYS)
def test_each_message_is_translated_with_the_same_placeholders(key: str, language: str) -> None:
    msgid = ERROR_MESSAGES[key]
    translated = translations(language).gettext(msgid)
    assert translated != msgid
    assert set(_PLACEHOLDER.findall(translated)) == set(_PLACEHOLDER.findall(msgid))


@pytest.mark.parametrize("language", ["az", "ru"])
def test_statuses_reasons_and_services_have_distinct_translated_labels(language: str) -> None:
    catalog = translations(language)
    shown = [catalog.gettext(label) for label in _LABELS]
    assert all(text != label for text, label in zip(shown, _LABELS, strict=True))
    assert len(set(shown)) == len(_LABELS)


def test_a_message_is_filled_in_and_refined_by_its_reason() -> None:
    assert error_message("text_too_long", {"max_length": 2000, "length": 2301}, "az") == (
        "Mətn ən çoxu 2000 simvol ola bilər (indi 2301)."
    )
    assert "holder" in error_message("forbidden", {"reason": "dispute", "code": "1"}, "en")
    assert error_message("rate_limited", {"reason": "dispute_daily", "limit": 5}, "ru").startswith(
        "В день можно подать не более 5"
    )
    assert error_message("photo_too_large", {"max_mb": 5}, "az") == (
        "Şəklin həcmi 5 MB-dan çox olmamalıdır."
    )
