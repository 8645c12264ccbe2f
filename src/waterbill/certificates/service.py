"""Issuing a no-debt certificate, handing it out again and checking one: what pages, the API and
the CLI call.

The balance check and the issue are one transaction that first locks the subscriber's row
(``repository.lock_subscriber``): a payment, a reversal, a new or a recalculated invoice of the
account is committed either before the balance is read, and counted, or after the certificate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from waterbill import clock
from waterbill.access.views import decision_for
from waterbill.audit.events import record_citizen_event, refusals_recorded
from waterbill.audit.tags import Channel, EventTag
from waterbill.auth.errors import Forbidden
from waterbill.auth.identity import Citizen
from waterbill.calendar import end_of_baku_day
from waterbill.certificates import repository
from waterbill.certificates.domain import Standing, certificate_content, is_certificate, standing
from waterbill.db.database import Database
from waterbill.documents.domain import IssuedDocument, Verdict
from waterbill.documents.service import issue_document, verify_document
from waterbill.documents.service import verification_code as parse_verification_code
from waterbill.errors import DebtOutstanding, UnknownDocument
from waterbill.identifiers import parse_code
from waterbill.statement.service import get_statement

# Who may have a certificate issued, or download it again: the household's side, not the staff.
MAY_HAVE_ONE = ("holder", "authorised")
# Renders the certificate's PDF from its content and its verification code.
Render = Callable[[Mapping[str, Any], str], bytes]


@dataclass(frozen=True, slots=True)
class IssuedCertificate:
    verification_code: str
    subscriber_code: str
    as_of: date
    balance: Decimal
    balance_kind: str
    valid_until: date
    file: bytes


def issue_certificate(
    *,
    database: Database,
    viewer: Citizen,
    code: str,
    channel: Channel,
    locale: str,
    render: Render,
) -> IssuedCertificate:
    """A no-debt certificate of ``code`` for ``viewer``, when the account owes nothing; logged.

    Only the holder or a citizen the holder authorised may have one (anyone else, a viewer of a
    masked statement or an admin, is refused ``forbidden``). Raises MalformedCode, UnknownCode,
    NotHousehold, Forbidden or DebtOutstanding (each logged as ``certificate:refused``), or
    AuditUnavailable.
    """
    settings = database.settings
    with _refusals_recorded(database, viewer=viewer, channel=channel, what="issue") as db:
        parsed = parse_code(code, settings.code_length_range)
        repository.lock_subscriber(db, parsed)
        # Read after the lock, so every writer of this account committed before it counts.
        now = clock.now()
        statement = get_statement(
            db=db, code=parsed, as_of=now, code_length=settings.code_length_range
        )
        subscriber = statement.subscriber
        decision = decision_for(db, viewer=viewer, subscriber=subscriber, settings=settings)
        if decision.role not in MAY_HAVE_ONE:
            raise Forbidden(code=subscriber.code, reason="certificate")
        if statement.balance_kind == "debt":
            raise DebtOutstanding(code=subscriber.code, debt=statement.closing_balance)
        content = certificate_content(
            statement, issued_at=now, validity_days=settings.certificate_validity_days
        )
        document, file = issue_document(
            db=db,
            key=settings.secret_key.get_secret_value().encode(),
            kind="pdf",
            locale=locale,
            statement=statement,
            render=lambda verification_code: render(content, verification_code),
            now=now,
            content=content,
        )
        valid_until = date.fromisoformat(content["valid_until"])
        repository.add(
            db,
            code=document.code,
            subscriber_code=subscriber.code,
            as_of=statement.as_of,
            valid_until=valid_until,
            balance=statement.closing_balance,
            payments_counted=repository.counted_payments(
                db, code=subscriber.code, until=end_of_baku_day(statement.as_of)
            ),
            issued_to=viewer.pseudonym,
            file=file,
        )
        # The audit row last: appending locks its chain's head until the transaction commits.
        record_citizen_event(
            db,
            tag=EventTag.CERTIFICATE_ISSUED,
            viewer=viewer,
            channel=channel,
            code=subscriber.code,
            result="full",
            reason=decision.reason,
            details={"role": decision.role},
        )
        return IssuedCertificate(
            verification_code=document.code,
            subscriber_code=subscriber.code,
            as_of=statement.as_of,
            balance=statement.closing_balance,
            balance_kind=statement.balance_kind,
            valid_until=valid_until,
            file=file,
        )


def _refusals_recorded(
    database: Database, *, viewer: Citizen, channel: Channel, what: str
) -> AbstractContextManager[Connection]:
    """A unit of work in which a refusal to issue or hand out a certificate is logged."""
    return refusals_recorded(
        database.write(),
        tag=EventTag.CERTIFICATE_REFUSED,
        viewer=viewer,
        channel=channel,
        details={"what": what},
    )


@dataclass(frozen=True, slots=True)
class CertificateFile:
    verification_code: str
    subscriber_code: str
    file: bytes


def certificate_file(
    *, database: Database, viewer: Citizen, verification_code: str, channel: Channel
) -> CertificateFile:
    """The PDF of a certificate, byte for byte as issued, to the citizen it was issued to; logged.

    Raises MalformedVerificationCode, UnknownDocument or Forbidden.
    """
    with _refusals_recorded(database, viewer=viewer, channel=channel, what="download") as db:
        normalised = parse_verification_code(verification_code)
        found = repository.file_of(db, normalised)
        if found is None:
            raise UnknownDocument()
        if found.issued_to != viewer.pseudonym:
            raise Forbidden(code=found.subscriber_code, reason="certificate_file")
        record_citizen_event(
            db,
            tag=EventTag.CERTIFICATE_DOWNLOADED,
            viewer=viewer,
            channel=channel,
            code=found.subscriber_code,
            result="full",
            reason="issued_to",
        )
        return CertificateFile(normalised, found.subscriber_code, found.file)


def certificate_standing(db: Connection, document: IssuedDocument) -> Standing | None:
    """Whether the certificate issued as ``document`` still holds today; None for a statement."""
    content = document.content
    if not is_certificate(content):
        return None
    taken_back = repository.later_reversals(db, document.code)
    return standing(
        content=dict(content), today=clock.today(), taken_back=taken_back or Decimal("0.00")
    )


@dataclass(frozen=True, slots=True)
class Verification:
    document: IssuedDocument
    verdict: Verdict
    # For a no-debt certificate whose seal holds: whether it still holds today.
    standing: Standing | None


def verify_issued(
    *, database: Database, key: bytes, code: str, file: bytes | None = None
) -> Verification:
    """Check the document issued under verification ``code`` (and ``file``, when given), and a
    certificate's standing; on a replica, repeated on the primary if the replica fails meanwhile.

    Raises MalformedVerificationCode or UnknownDocument.
    """

    def check(db: Connection) -> Verification:
        document, verdict = verify_document(db=db, key=key, code=code, file=file)
        # A record that fails its seal is not read any further.
        intact = verdict != "tampered"
        return Verification(
            document, verdict, certificate_standing(db, document) if intact else None
        )

    return database.run_read(check)
