"""The access log (hash-chained audit events, chain head, pruning anchors) and authorisations.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from waterbill.db.types import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", Id, autoincrement=False, nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("tag", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(40), nullable=True),
        sa.Column("subscriber_code", sa.String(32), nullable=True),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("auth_method", sa.String(16), nullable=True),
        sa.Column("result", sa.String(8), nullable=True),
        sa.Column("reason", sa.String(40), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("row_hash", sa.String(64), nullable=False),
        sa.CheckConstraint(
            "channel IN ('web', 'api', 'cli')", name=op.f("ck_audit_events_channel_allowed")
        ),
        sa.CheckConstraint(
            "result IS NULL OR result IN ('full', 'masked', 'refused')",
            name=op.f("ck_audit_events_result_allowed"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_subscriber_code_id", "audit_events", ["subscriber_code", "id"])
    op.create_index("ix_audit_events_actor_id", "audit_events", ["actor", "id"])
    op.create_index("ix_audit_events_occurred_at", "audit_events", ["occurred_at"])

    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("last_seq", Id, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_chain_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )

    op.create_table(
        "audit_anchors",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("up_to_seq", Id, nullable=False),
        sa.Column("row_hash", sa.String(64), nullable=False),
        sa.Column("rows_pruned", Id, nullable=False),
        sa.Column("pruned_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_anchors")),
        sa.UniqueConstraint("up_to_seq", name=op.f("uq_audit_anchors_up_to_seq")),
    )

    op.create_table(
        "authorisations",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("subscriber_code", sa.String(32), nullable=False),
        sa.Column("holder_fin", sa.String(7), nullable=False),
        sa.Column("grantee_fin", sa.String(7), nullable=False),
        sa.Column("granted_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorisations")),
    )
    op.create_index(
        "ix_authorisations_subscriber_code_grantee_fin",
        "authorisations",
        ["subscriber_code", "grantee_fin"],
    )


def downgrade() -> None:
    op.drop_table("authorisations")
    op.drop_table("audit_anchors")
    op.drop_table("audit_chain_head")
    op.drop_table("audit_events")
