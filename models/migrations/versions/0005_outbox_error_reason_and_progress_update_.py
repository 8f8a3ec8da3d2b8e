"""outbox error_reason and progress_update status index

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 17:30:47.874589
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_outbox = sa.table(
    "outbox_message",
    sa.column("status", sa.String),
    sa.column("last_error", sa.Text),
    sa.column("error_reason", sa.String),
    sa.column("recipient_id", sa.Integer),
)

# Existing failed or dropped rows get the reason the sender now stores, read from their raw
# text (a snapshot of the words Telegram and this bot used when 0005 was written). The first
# pattern that matches wins; the raw text itself stays as it was.
_BACKFILL: list[tuple[str, list[str], bool | None]] = [
    ("blocked", ["%blocked by the user%"], None),
    ("deactivated", ["%user is deactivated%"], None),
    ("removed", ["%kicked%", "%not a member%", "%chat not found%"], False),
    ("not_started", ["%chat not found%", "%initiate conversation%"], True),
    ("not_joined", ["recipient has not joined the bot"], None),
    ("unreachable", ["recipient is unreachable%"], None),
    ("unreachable", ["403%"], True),
    ("removed", ["403%"], False),
    ("rejected", ["400%"], None),
    ("network", ["networkerror%", "timedout%", "badgateway%"], None),
    ("internal", ["cannot render%"], None),
    ("stale", ["stale"], None),
    ("cancelled", ["cancelled"], None),
    ("erased", ["recipient erased"], None),
    ("other", ["%"], None),
]


def upgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("error_reason", sa.String(length=24), nullable=True))

    with op.batch_alter_table("progress_update", schema=None) as batch_op:
        batch_op.create_index(
            "ix_progress_update_status_submitted", ["status", "submitted_at"], unique=False
        )

    text = sa.func.lower(_outbox.c.last_error)
    for reason, patterns, to_person in _BACKFILL:
        conditions = [
            _outbox.c.error_reason.is_(None),
            _outbox.c.last_error.is_not(None),
            _outbox.c.status.in_(["failed", "dropped"]),
            sa.or_(*(text.like(pattern) for pattern in patterns)),
        ]
        if to_person is True:
            conditions.append(_outbox.c.recipient_id.is_not(None))
        elif to_person is False:
            conditions.append(_outbox.c.recipient_id.is_(None))
        op.execute(_outbox.update().where(*conditions).values(error_reason=reason))


def downgrade() -> None:
    with op.batch_alter_table("progress_update", schema=None) as batch_op:
        batch_op.drop_index("ix_progress_update_status_submitted")

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("error_reason")
