"""No answer of the app is kept by a browser or a shared cache: ``Cache-Control: no-store``.

One rule in the headers middleware, checked here over every route the app has (walked from the
app itself, so a new page is covered the day it is added), signed in as a holder with data.
"""

from __future__ import annotations

import re

import httpx

from tests.functional.signin import bearer
from tests.support.factories.billing import add_invoice, add_subscriber
from tests.support.live_server import LiveServer
from waterbill import clock
from waterbill.calendar import YearMonth
from waterbill.ops.responses import api_routes

FIN = "5ZK3LRT"
CODE = "0104410203"


def test_every_route_answers_no_store_and_only_static_files_may_be_cached(
    sqlite_live_server: LiveServer,
) -> None:
    server = sqlite_live_server
    with server.engine.begin() as db:
        sid = add_subscriber(db, code=CODE, holder_fin=FIN)
        add_invoice(db, sid, str(YearMonth.of(clock.today()).shift(-1)), "water")
    credentials = bearer(server.settings, FIN)
    with httpx.Client(base_url=server.url, timeout=20, headers=credentials) as client:
        document = client.get(f"/statements/{CODE}/statement.csv")
        assert document.status_code == 200
        found = re.search(r"/verify/([0-9A-Z-]{16,19})", document.text)
        assert found is not None
        samples = {
            "code": CODE,
            "reference": "AZS-2026-000001",
            "verification_code": "ABCD2345EFGH",
            "token": "not-a-signed-token",
        }

        checked = []
        for route in api_routes(server.app.routes):
            for method in sorted(route.methods):
                path = (
                    route.path.replace("{code}", found.group(1))
                    if route.path.startswith("/verify/")
                    else route.path
                )
                path = re.sub(r"\{(\w+)\}", lambda m: samples[m.group(1)], path)
                answer = client.request(method, path, follow_redirects=False)
                assert "no-store" in answer.headers.get("cache-control", ""), (
                    method,
                    path,
                    answer.status_code,
                    answer.headers.get("cache-control"),
                )
                checked.append((method, path, answer.status_code))
        assert client.get("/openapi.json").headers["cache-control"] == "no-store"
        static = client.get("/static/site.css")
        assert static.status_code == 200
        assert "no-store" not in static.headers.get("cache-control", "")

    answered = {path: status for method, path, status in checked if method == "GET"}
    # The personal pages really answered with their content, not with a refusal.
    for path in ("/me/views", "/me/authorisations", f"/statements/{CODE}", "/api/v1/me/views"):
        assert answered[path] == 200, (path, answered[path])
    assert answered[f"/verify/{found.group(1)}"] == 200
    assert len(checked) > 40
