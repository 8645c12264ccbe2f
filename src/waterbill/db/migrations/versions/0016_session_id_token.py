"""A signed-in session keeps the provider's ID token, to end the provider's session on sign-out.

RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) sends it back as ``id_token_hint``;
sessions signed in before this revision have none and sign out of the service only.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("web_sessions") as batch:
        batch.add_column(sa.Column("id_token", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("web_sessions") as batch:
        batch.drop_column("id_token")
