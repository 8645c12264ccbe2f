"""Every way to read something of a subscriber code counts in the citizen's distinct-code limit,
and what only the holder may do answers "not yours" and "no such code" alike (issue 22)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import Engine, func, select

from tests.functional.signin import form_fields, sign_in
from tests.support.factories.billing import add_invoice, add_subscriber
from tests.support.live_server import LiveServer, serve
from waterbill.documents.tables import issued_documents

HOLDER_FIN = "5ZK3LRT"
STRANGER_FIN = "7QK2MNP"
CODES = ["0104410201", "0104410202", "0104410203"]
MISSING = "0999999990"


@pytest.fixture
def limited(engine: Engine, database_url: str) -> Iterator[LiveServer]:
    """Three households of one holder; a citizen may look up two distinct codes an hour."""
    with engine.begin() as db:
        for code in CODES:
            add_invoice(db, add_subscriber(db, code=code, holder_fin=HOLDER_FIN), "2026-10")
    with serve(database_url, engine, rate_limit_codes_per_citizen=2) as server:
        yield server


@contextmanager
def _signed_in(server: LiveServer, fin: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=20, headers={"Accept-Language": "en"}) as client:
        back = sign_in(client, fin)
        assert client.get(back.headers["location"]).status_code == 303
        yield client


def _documents(engine: Engine) -> int:
    with engine.connect() as db:
        return int(db.scalar(select(func.count()).select_from(issued_documents)) or 0)


def test_downloads_count_in_the_code_limit_and_a_refused_one_issues_no_document(
    limited: LiveServer, engine: Engine
) -> None:
    with _signed_in(limited, STRANGER_FIN) as client:
        masked = client.get(f"/statements/{CODES[0]}/statement.csv")
        assert masked.status_code == 200
        # A masked document is checked like any other, and shows the amount due alone.
        verification = next(
            line.split(",")[1] for line in masked.text.splitlines() if "Verification" in line
        )
        checked = client.get(f"/verify/{verification}")
        assert checked.status_code == 200
        assert "Invoiced in 12 months" not in checked.text
        assert client.get(f"/statements/{CODES[1]}/statement.pdf").status_code == 200
        issued = _documents(engine)
        assert issued == 2
        # A third code, whichever way it is read, and an unknown one too.
        for path in (
            f"/statements/{CODES[2]}/statement.pdf",
            f"/statements/{CODES[2]}/statement.csv",
            f"/statements/{MISSING}/statement.csv",
            f"/statements/{CODES[2]}",
            f"/api/v1/statements/{CODES[2]}",
        ):
            assert client.get(path).status_code == 429, path
        assert _documents(engine) == issued
        # The codes already read can be read again.
        assert client.get(f"/statements/{CODES[0]}/statement.pdf").status_code == 200


def _same(text: str, code: str) -> str:
    """The answer with the code it names blanked out, and without the per-request token."""
    text = text.replace(code, "CODE")
    return re.sub(r'name="csrf_token" value="[^"]*"', "", text)


def test_not_yours_and_no_such_code_answer_alike_and_count_in_the_limit(
    limited: LiveServer,
) -> None:
    with _signed_in(limited, STRANGER_FIN) as client:
        csrf = form_fields(client.get("/statements").text, "/auth/logout")["csrf_token"]

        def answers(code: str) -> list[tuple[int, str]]:
            filing = {"code": code, "period": "2026-10", "service": "water"}
            filing |= {"reason": "other", "text": "?"}
            responses = [
                client.get("/disputes/new", params={"code": code, "period": "2026-10"}),
                client.post("/api/v1/disputes", data=filing, headers={"X-CSRF-Token": csrf}),
                client.post(
                    "/me/authorisations",
                    data={"csrf_token": csrf, "code": code, "fin": "4AB5CD7"},
                ),
            ]
            return [(r.status_code, _same(r.text, code)) for r in responses]

        existing, missing = answers(CODES[0]), answers(MISSING)
        assert [status for status, _ in existing] == [403, 403, 403]
        assert existing == missing
        # Two distinct codes so far: a third is refused by the limit, before anything else.
        assert [status for status, _ in answers(CODES[1])] == [429, 429, 429]
