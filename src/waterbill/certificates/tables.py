"""What a certificate adds to its issued document: the file itself and what its check needs."""

from __future__ import annotations

import sqlalchemy as sa

from waterbill.db.metadata import metadata
from waterbill.db.types import money

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

certificates = sa.Table(
    "certificates",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    # The verification code of the issued document (its content, digests and seal live there).
    sa.Column(
        "code", sa.String(16), sa.ForeignKey("issued_documents.code"), nullable=False, unique=True
    ),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("subscriber_code", sa.String(32), nullable=False, index=True),
    sa.Column("as_of", sa.Date(), nullable=False),
    sa.Column("valid_until", sa.Date(), nullable=False),
    sa.Column("balance", money(), nullable=False),
    # The ids of the payments and reversals the balance counted (a JSON list): a reversal not
    # among them of a payment among them came later, and may have made the account a debtor.
    sa.Column("payments_counted", sa.Text(), nullable=False),
    # The pseudonymous id of the citizen it was issued to, the only one it is served to again (a
    # later holder of the account must not get the name of the one before).
    sa.Column("issued_to", sa.String(40), nullable=False),
    # The PDF as issued, served again at /certificates/{code}.pdf byte for byte.
    sa.Column("file", sa.LargeBinary(), nullable=False),
    sa.CheckConstraint("kind IN ('no_debt')", name="kind_allowed"),
    sa.CheckConstraint("balance <= 0", name="no_debt"),
)
