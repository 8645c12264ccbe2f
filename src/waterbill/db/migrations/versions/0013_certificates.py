"""No-debt certificates (issue 18): the PDF as issued and what its check needs.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from waterbill.db.types import money

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "certificates",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("subscriber_code", sa.String(32), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("balance", money(), nullable=False),
        sa.Column("payments_counted", sa.Text(), nullable=False),
        sa.Column("issued_to", sa.String(40), nullable=False),
        sa.Column("file", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("kind IN ('no_debt')", name=op.f("ck_certificates_kind_allowed")),
        sa.CheckConstraint("balance <= 0", name=op.f("ck_certificates_no_debt")),
        sa.ForeignKeyConstraint(
            ["code"],
            ["issued_documents.code"],
            name=op.f("fk_certificates_code_issued_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("code", name=op.f("uq_certificates_code")),
    )
    op.create_index(op.f("ix_certificates_subscriber_code"), "certificates", ["subscriber_code"])


def downgrade() -> None:
    op.drop_index(op.f("ix_certificates_subscriber_code"), table_name="certificates")
    op.drop_table("certificates")
