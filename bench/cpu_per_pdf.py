"""CPU time per PDF: the statement PDF and the no-debt certificate, in one fresh process.

``python -m bench.cpu_per_pdf`` takes ``BENCH_PDF_DOCUMENTS`` (default 50) random household
holders of the database the settings name (the environment, as for the served app) and, in az, en
and ru in turn, has each one's statement PDF issued by the calls ``GET
/statements/{code}/statement.pdf`` makes (web/documents.py): the access policy with its audit row,
the page's view of the statement, and the document's issue, which renders the PDF under its
verification code and stores its record. Then as many no-debt certificates, issued by the call the
certificate page makes, for those of the holders who owe nothing. It prints one JSON object: per
document kind, the CPU milliseconds per document (min, median, p90), the part of it spent
rendering the PDF, and the file's size.

CPU is ``time.process_time()`` of this process around each document, one at a time: the bearer
token's check and the HTTP layer are not in it, nor the database server's own work on PostgreSQL
(SQLite works inside the process, so there it is counted). The first statement PDF of the process,
which reads the fonts and the catalogs, is reported apart and left out of the figures, as is the
first certificate.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from waterbill import clock
from waterbill.auth.devidp.service import citizen_claims
from waterbill.auth.errors import Unauthenticated
from waterbill.auth.identity import Citizen
from waterbill.auth.oidc import citizen_from_claims
from waterbill.billing.tables import subscribers
from waterbill.certificates.service import issue_certificate
from waterbill.config import Settings, get_settings
from waterbill.db.database import Database
from waterbill.documents.service import statement_document
from waterbill.statement.domain import Statement
from waterbill.web.certificates import renderer
from waterbill.web.documents import preparer

LOCALES = ("az", "en", "ru")
DOCUMENTS = int(os.environ.get("BENCH_PDF_DOCUMENTS", "50"))


@dataclass(frozen=True, slots=True)
class Sample:
    cpu: float  # seconds, the whole document
    rendering: float  # seconds of it in rendering the PDF
    size: int  # bytes


class _Timed:
    """Wraps a renderer and keeps the CPU its last call took."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, render: Callable[[], bytes]) -> bytes:
        started = time.process_time()
        file = render()
        self.seconds = time.process_time() - started
        return file


def holders(database: Database, count: int) -> list[tuple[str, str]]:
    """``count`` random (code, FIN) pairs of active household accounts, as the lookups sample."""
    query = (
        select(subscribers.c.code, subscribers.c.holder_fin)
        .where(subscribers.c.category == "population", subscribers.c.status == "active")
        .order_by(func.random())
        .limit(count)
    )
    with database.read() as db:
        return [(str(code), str(fin)) for code, fin in db.execute(query)]


def citizen(database: Database, settings: Settings, fin: str) -> Citizen:
    """The citizen a verified bearer token of the bundled provider stands for."""
    with database.read() as db:
        claims = citizen_claims(db=db, fin=fin, method="asan_imza")
    return citizen_from_claims(claims, settings, error=Unauthenticated)


def statement_pdf(
    database: Database, settings: Settings, *, viewer: Citizen, code: str, locale: str
) -> tuple[Sample, bool]:
    """One statement PDF as its download issues it; and whether the account owes nothing."""
    timed = _Timed()
    started = time.process_time()
    now = clock.now()

    download = preparer(settings, "pdf", locale, now)

    def prepare(statement: Statement) -> Callable[[str], bytes]:
        render = download(statement)
        return lambda document_code: timed(lambda: render(document_code))

    # The download's own use case: the policy, the logged view, the issued document.
    statement, file = statement_document(
        database=database,
        viewer=viewer,
        code=code,
        key=settings.secret_key.get_secret_value().encode(),
        kind="pdf",
        locale=locale,
        prepare=prepare,
        now=now,
    )
    sample = Sample(time.process_time() - started, timed.seconds, len(file))
    return sample, statement.balance_kind != "debt"


def certificate_pdf(
    database: Database, settings: Settings, *, viewer: Citizen, code: str, locale: str
) -> Sample:
    """One no-debt certificate as the certificate page issues it."""
    timed = _Timed()
    render = renderer(settings, locale)
    started = time.process_time()
    issued = issue_certificate(
        database=database,
        viewer=viewer,
        code=code,
        channel="web",
        locale=locale,
        render=lambda content, document_code: timed(lambda: render(content, document_code)),
    )
    return Sample(time.process_time() - started, timed.seconds, len(issued.file))


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "min": ordered[0] * 1000,
        "median": statistics.median(ordered) * 1000,
        "p90": ordered[math.ceil(0.9 * len(ordered)) - 1] * 1000,  # the nearest rank
    }


def figures(samples: list[Sample]) -> dict[str, Any]:
    if not samples:
        return {"documents": 0}
    sizes = sorted(sample.size for sample in samples)
    return {
        "documents": len(samples),
        "cpu_ms": _ms([sample.cpu for sample in samples]),
        "rendering_cpu_ms": _ms([sample.rendering for sample in samples]),
        "bytes": {"min": sizes[0], "median": statistics.median(sizes), "max": sizes[-1]},
    }


def measure(database: Database, settings: Settings, documents: int) -> Mapping[str, Any]:
    """Statement PDFs of ``documents`` holders after a first one, then the certificates."""
    sampled = holders(database, documents + 1)
    if not sampled:
        raise SystemExit("no active household account in the database")
    # The holders come round again when the dataset has fewer of them than documents.
    viewers = [(code, citizen(database, settings, fin)) for code, fin in sampled]
    statements: list[Sample] = []
    owe_nothing: list[tuple[str, Citizen]] = []
    for index in range(documents + 1):
        code, viewer = viewers[index % len(viewers)]
        locale = LOCALES[index % len(LOCALES)]
        sample, settled = statement_pdf(database, settings, viewer=viewer, code=code, locale=locale)
        statements.append(sample)
        if settled and index < len(viewers):
            owe_nothing.append((code, viewer))
    certificates: list[Sample] = []
    for index in range(documents + 1 if owe_nothing else 0):
        code, viewer = owe_nothing[index % len(owe_nothing)]
        locale = LOCALES[index % len(LOCALES)]
        certificates.append(
            certificate_pdf(database, settings, viewer=viewer, code=code, locale=locale)
        )
    first = statements[0]
    return {
        "locales": list(LOCALES),
        "statement": {
            **figures(statements[1:]),
            "holders": len(viewers),
            "first_cpu_ms": first.cpu * 1000,
            "first_rendering_cpu_ms": first.rendering * 1000,
        },
        "certificate": {**figures(certificates[1:]), "holders": len(owe_nothing)},
    }


def main() -> None:
    settings = get_settings()
    database = Database(settings)
    try:
        result = measure(database, settings, DOCUMENTS)
    finally:
        database.dispose()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
