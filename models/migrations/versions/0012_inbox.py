"""update inbox and worker flags: updates stored before they are answered, one active worker

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 18:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox_update",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=False),
        sa.Column("lane", sa.String(length=60), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("received_at", models.base.UtcDateTime(), nullable=False),
        sa.Column("done_at", models.base.UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_update")),
        sa.UniqueConstraint("channel", "update_id", name="uq_inbox_update_channel_update_id"),
    )
    op.create_index("ix_inbox_update_status_id", "inbox_update", ["status", "id"])
    op.create_table(
        "worker_flag",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("until", models.base.UtcDateTime(), nullable=True),
        sa.Column("holder", sa.String(length=100), nullable=True),
        sa.Column("updated_at", models.base.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_worker_flag")),
    )


def downgrade() -> None:
    op.drop_table("worker_flag")
    op.drop_index("ix_inbox_update_status_id", table_name="inbox_update")
    op.drop_table("inbox_update")
