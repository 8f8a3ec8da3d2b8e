"""evidence store: each evidence row names its bytes' SHA-256 in the store

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows keep sha256 NULL: their bytes are still only at Telegram (by file_id) until
    # `properbot evidence fetch` brings them into the store.
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sha256", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_evidence_sha256", ["sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index("ix_evidence_sha256")
        batch_op.drop_column("sha256")
