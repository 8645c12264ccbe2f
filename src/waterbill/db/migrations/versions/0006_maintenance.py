"""Announced maintenance, shared by every app instance.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from waterbill.db.types import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "maintenance",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("until", UTCDateTime(), nullable=False),
        sa.Column("message", sa.String(500), nullable=True),
        sa.Column("announced_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_maintenance_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance")),
    )


def downgrade() -> None:
    op.drop_table("maintenance")
