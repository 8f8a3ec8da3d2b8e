"""report fields and acknowledgement: kendala, rencana berikutnya, corrections, "sudah dibaca"

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHECK = "ck_feedback_note_feedback_kind"
_OLD_KINDS = ("feedback", "reply", "revision_request", "approval")
_NEW_KINDS = (*_OLD_KINDS, "acknowledged")


def _kinds(kinds: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


def _replace_check(kinds: tuple[str, ...]) -> None:
    # The kind column is VARCHAR plus a named CHECK constraint on both databases; SQLite can
    # only change a constraint by rebuilding the table, which batch mode does.
    with op.batch_alter_table("feedback_note", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(_CHECK), type_="check")
        batch_op.create_check_constraint(op.f(_CHECK), sa.text(_kinds(kinds)))


def upgrade() -> None:
    with op.batch_alter_table("progress_update", schema=None) as batch_op:
        batch_op.add_column(sa.Column("obstacles", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("next_steps", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("original_text", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("corrected_at", models.base.UtcDateTime(timezone=True), nullable=True)
        )
    _replace_check(_NEW_KINDS)


def downgrade() -> None:
    # An acknowledgement has no place in the old schema: it goes, the other notes stay.
    op.execute(sa.text("DELETE FROM feedback_note WHERE kind = 'acknowledged'"))
    _replace_check(_OLD_KINDS)
    with op.batch_alter_table("progress_update", schema=None) as batch_op:
        batch_op.drop_column("corrected_at")
        batch_op.drop_column("original_text")
        batch_op.drop_column("next_steps")
        batch_op.drop_column("obstacles")
