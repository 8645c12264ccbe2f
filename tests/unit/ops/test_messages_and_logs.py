"""Refusal texts in three languages, the language choice, and JSON log lines."""

from __future__ import annotations

import json
import logging

import pytest

from waterbill.ops.logs import JsonFormatter, new_request_id, request_id
from waterbill.ops.messages import MESSAGES, TITLES, choose_locale, message, title


def test_every_refusal_has_a_title_and_message_translated_to_azerbaijani_and_russian() -> None:
    for code in MESSAGES:
        params = {"until": "01.12.2026 06:00", "minutes": 5}
        english = message(code, "en", **params)
        assert title(code, "en") == TITLES[code]
        for locale in ("az", "ru"):
            assert message(code, locale, **params) != english, (code, locale)
            assert title(code, locale) != TITLES[code], (code, locale)


def test_the_outage_message_names_the_hotline_in_every_language() -> None:
    for locale in ("az", "en", "ru"):
        assert "955" in message("database_unavailable", locale)
    assert "Məlumat bazası" in message("database_unavailable", "az")


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        ("lang=ru", "en", "az", "ru"),
        ("", "en", "ru", "en"),
        ("lang=xx", None, "ru-RU,ru;q=0.9", "ru"),
        ("", None, "de-DE, en;q=0.5", "en"),
        ("", "<script>", None, "az"),
    ],
)
def test_the_language_comes_from_the_query_then_the_cookie_then_the_browser(
    query: str, cookie: str | None, accept: str | None, expected: str
) -> None:
    assert choose_locale(query=query, cookie=cookie, accept_language=accept) == expected


def test_a_plain_incoming_request_id_is_kept_and_a_hostile_one_replaced() -> None:
    assert new_request_id("portal-7f3a.1") == "portal-7f3a.1"
    replaced = new_request_id('x"\n{"level":"error"}')
    assert len(replaced) == 32
    assert replaced.isalnum()


def test_a_log_line_is_one_json_object_with_the_request_id_and_the_extra_fields() -> None:
    token = request_id.set("req-1")
    try:
        record = logging.getLogger("waterbill.test").makeRecord(
            "waterbill.test",
            logging.INFO,
            __file__,
            1,
            "looked up",
            None,
            None,
            extra={"subscriber_code": "0104410203"},
        )
    finally:
        request_id.reset(token)
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["message"] == "looked up"
    assert entry["request_id"] == "req-1"
    assert entry["subscriber_code"] == "0104410203"
    assert entry["level"] == "info"
    assert "\n" not in line


def test_uvicorns_coloured_copy_of_the_message_stays_out_of_the_json() -> None:
    record = logging.getLogger("uvicorn.error").makeRecord(
        "uvicorn.error",
        logging.INFO,
        __file__,
        1,
        "Started server process [%d]",
        (42,),
        None,
        extra={"color_message": "Started server process [\x1b[36m%d\x1b[0m]"},
    )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "Started server process [42]"
    assert "color_message" not in entry
