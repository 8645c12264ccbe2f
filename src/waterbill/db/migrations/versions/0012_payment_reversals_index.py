"""An index of the reversals by the payment they name (issue 22).

A reversal is refused when the reversals of its payment would exceed it, counted over every file,
batch and request; the sum of a payment's reversals is read through this partial index (only
reversals are in it, a small part of the payments).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REVERSAL = "reverses IS NOT NULL"


def upgrade() -> None:
    op.create_index(
        "ix_payments_reversals",
        "payments",
        ["channel", "reverses"],
        sqlite_where=sa.text(REVERSAL),
        postgresql_where=sa.text(REVERSAL),
    )


def downgrade() -> None:
    op.drop_index("ix_payments_reversals", table_name="payments")
