"""Each chain head also keeps the hash before its last one, so PostgreSQL appends in one statement.

One UPDATE of the head then moves ``prev_hash`` to the old ``last_hash`` and seals the new row in
SQL; the INSERT of the event reads both from its RETURNING (issue 9: an append was three round
trips). Heads written before this revision have no ``prev_hash`` until their next append.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_chain_head") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_chain_head") as batch:
        batch.drop_column("prev_hash")
