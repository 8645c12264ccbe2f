"""Split the access log into independent hash chains (issue 9).

Existing rows become chain 0 in their current order (``position = id``) and keep their hashes: the
chain-0 canonical form is the one they were sealed with, so a live database keeps verifying. The
single head row (id 1) becomes chain 0's head; other chains' heads are created on first append.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("chain", sa.SmallInteger(), nullable=True))
        batch.add_column(sa.Column("position", Id, nullable=True))
    op.execute("UPDATE audit_events SET chain = 0, position = id")
    with op.batch_alter_table("audit_events") as batch:
        batch.alter_column("chain", existing_type=sa.SmallInteger(), nullable=False)
        batch.alter_column("position", existing_type=Id, nullable=False)
        batch.create_unique_constraint(
            op.f("uq_audit_events_chain_position"), ["chain", "position"]
        )

    with op.batch_alter_table("audit_chain_head") as batch:
        batch.drop_constraint(op.f("ck_audit_chain_head_single_row"), type_="check")
    op.execute("UPDATE audit_chain_head SET id = 0 WHERE id = 1")
    with op.batch_alter_table("audit_chain_head") as batch:
        batch.create_check_constraint(op.f("ck_audit_chain_head_chain_number"), "id >= 0")

    with op.batch_alter_table("audit_anchors") as batch:
        batch.add_column(sa.Column("chain", sa.SmallInteger(), nullable=True))
    op.execute("UPDATE audit_anchors SET chain = 0")
    with op.batch_alter_table("audit_anchors") as batch:
        batch.alter_column("chain", existing_type=sa.SmallInteger(), nullable=False)
        batch.drop_constraint(op.f("uq_audit_anchors_up_to_seq"), type_="unique")
        batch.create_unique_constraint(
            op.f("uq_audit_anchors_chain_up_to_seq"), ["chain", "up_to_seq"]
        )

    if op.get_bind().dialect.name == "postgresql":
        # Row ids are no longer handed out under one lock: a sequence gives them without waiting.
        op.execute("CREATE SEQUENCE audit_events_id_seq")
        op.execute(
            "SELECT setval('audit_events_id_seq', COALESCE((SELECT max(id) FROM audit_events), 0)"
            " + 1, false)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE audit_events_id_seq")
    with op.batch_alter_table("audit_anchors") as batch:
        batch.drop_constraint(op.f("uq_audit_anchors_chain_up_to_seq"), type_="unique")
        batch.create_unique_constraint(op.f("uq_audit_anchors_up_to_seq"), ["up_to_seq"])
        batch.drop_column("chain")
    with op.batch_alter_table("audit_chain_head") as batch:
        batch.drop_constraint(op.f("ck_audit_chain_head_chain_number"), type_="check")
    op.execute("DELETE FROM audit_chain_head WHERE id <> 0")
    op.execute("UPDATE audit_chain_head SET id = 1")
    with op.batch_alter_table("audit_chain_head") as batch:
        batch.create_check_constraint(op.f("ck_audit_chain_head_single_row"), "id = 1")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_constraint(op.f("uq_audit_events_chain_position"), type_="unique")
        batch.drop_column("position")
        batch.drop_column("chain")
