"""Every refusal class carries an HTTP status and a message in az, en and ru (waterbill.errors)."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from functools import cache

import pytest
from babel.messages.pofile import read_po

import waterbill
from waterbill.errors import ServiceError
from waterbill.i18n import LOCALES
from waterbill.i18n.catalogs import po_path
from waterbill.i18n.messages import ERROR_MESSAGES, error_message

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _subclasses(cls: type[ServiceError]) -> Iterator[type[ServiceError]]:
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def _refusals() -> list[type[ServiceError]]:
    # A refusal class exists once its module is imported: import them all, so none is missed.
    for module in pkgutil.walk_packages(waterbill.__path__, f"{waterbill.__name__}."):
        importlib.import_module(module.name)
    return sorted(_subclasses(ServiceError), key=lambda cls: f"{cls.__module__}.{cls.__name__}")


REFUSALS = _refusals()


@cache
def _catalog(locale: str) -> dict[str, str]:
    with po_path(locale).open("rb") as source:
        return {message.id: message.string for message in read_po(source, locale=locale)}


def _name(cls: type[ServiceError]) -> str:
    return f"{cls.__module__}.{cls.__name__}"


def test_the_refusals_are_found_in_every_area() -> None:
    modules = {cls.__module__ for cls in REFUSALS}
    assert {"waterbill.errors", "waterbill.auth.errors", "waterbill.web.errors"} <= modules
    assert len(REFUSALS) > 40


@pytest.mark.parametrize("refusal", REFUSALS, ids=_name)
def test_every_refusal_has_an_http_status(refusal: type[ServiceError]) -> None:
    status = getattr(refusal, "status", None)
    assert isinstance(status, int)
    assert 400 <= status < 600


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("refusal", REFUSALS, ids=_name)
def test_every_refusal_has_a_message_in_each_language(
    refusal: type[ServiceError], locale: str
) -> None:
    assert refusal.message_id in ERROR_MESSAGES
    msgid = ERROR_MESSAGES[refusal.message_id]
    assert _catalog(locale).get(msgid)
    params = {name: f"<{name}>" for name in PLACEHOLDER.findall(msgid)}
    text = error_message(refusal.message_id, params, locale)
    # Rendered with its own values: not the general text, and nothing left unfilled.
    assert "%(" not in text
    assert all(value in text for value in params.values())


def test_a_code_shared_by_several_refusals_has_one_status() -> None:
    statuses: dict[str, set[int]] = {}
    for refusal in REFUSALS:
        statuses.setdefault(refusal.code, set()).add(refusal.status)
    assert {code: found for code, found in statuses.items() if len(found) > 1} == {}
