"""``waterbill verify``: the same check as ``/verify/{code}``, for the ICT department."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from waterbill.certificates.service import verify_issued
from waterbill.config import get_settings
from waterbill.db.database import Database
from waterbill.documents.domain import display_code
from waterbill.errors import ServiceError

VERDICTS = {
    "genuine": "genuine: the record is intact",
    "file_differs": "NOT the issued file: the file differs from the one issued under this code",
    "tampered": "TAMPERED: the record of this document no longer matches its seal",
}


STANDINGS = {
    "valid": "no debt on %(as_of)s, valid until %(valid_until)s",
    "expired": "EXPIRED: it was valid until %(valid_until)s",
    "debtor_since": "NO LONGER HOLDS: a payment it counted was reversed afterwards, so the "
    "account was a debtor on %(as_of)s",
}


@click.command("verify")
@click.argument("code")
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The PDF or CSV to compare, byte for byte, with the one issued.",
)
def verify(code: str, path: Path | None) -> None:
    """Check the document issued under verification CODE (exit 0 only when genuine, and for a
    no-debt certificate, still valid)."""
    settings = get_settings()
    database = Database(settings)
    try:
        checked = verify_issued(
            database=database,
            key=settings.secret_key.get_secret_value().encode(),
            code=code,
            file=path.read_bytes() if path is not None else None,
        )
    except ServiceError as error:
        click.echo(error.code, err=True)
        sys.exit(2)
    finally:
        database.dispose()
    document, verdict, standing = checked.document, checked.verdict, checked.standing
    if verdict == "genuine" and path is not None:
        click.echo("genuine: the file is exactly the one issued")
    else:
        click.echo(VERDICTS[verdict])
    click.echo(f"code:       {display_code(document.code)}")
    click.echo(f"kind:       {document.kind} ({document.locale})")
    click.echo(f"subscriber: {document.subscriber_code}")
    click.echo(f"issued at:  {document.issued_at.isoformat()}")
    click.echo(f"file sha256: {document.file_sha256}")
    if standing is not None:
        click.echo(f"certificate: {STANDINGS[standing] % document.content}")
    sys.exit(0 if verdict == "genuine" and standing in (None, "valid") else 1)
