"""channel file references: evidence and seminar materials name the channel of their file_id

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 21:15:00

`telegram_file_id` and `telegram_file_unique_id` of `evidence` and `seminar_material` become
`channel_file_ref` and `channel_file_unique_ref`, with `channel` saying whose reference it is
('telegram' for every existing one). The bytes stay in the evidence store under `sha256`; the
reference is the cache for sending the file on over the channel it came by, and the only way
to the bytes of evidence from before the store. An announcement's attachment, JSON, names its
channel the same way: {"kind", "file_id"} becomes {"kind", "channel", "ref"}.
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# domain.enums.Channel as of this revision.
_CHANNELS = "channel IN ('telegram', 'whatsapp')"
_TABLES = ("evidence", "seminar_material")


def upgrade() -> None:
    # On SQLite the batch rebuilds both tables (a CHECK constraint is added). No foreign key
    # points at either, so dropping the old copy deletes nothing else: unlike 0011, foreign
    # keys may stay on.
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("channel", sa.String(length=24), nullable=True))
            batch_op.alter_column(
                "telegram_file_id",
                new_column_name="channel_file_ref",
                existing_type=sa.String(length=255),
                existing_nullable=True,
            )
            batch_op.alter_column(
                "telegram_file_unique_id",
                new_column_name="channel_file_unique_ref",
                existing_type=sa.String(length=64),
                existing_nullable=True,
            )
            batch_op.create_check_constraint(batch_op.f(f"ck_{table}_channel"), _CHANNELS)
        # Only Telegram existed before: every reference kept so far is a Telegram file_id.
        op.execute(
            sa.text(
                f"UPDATE {table} SET channel = 'telegram'"
                " WHERE channel_file_ref IS NOT NULL OR channel_file_unique_ref IS NOT NULL"
            )
        )
    _attachments(_named)


def _attachments(change: Any) -> None:
    """Rewrite every announcement's attachment with `change` (JSON on both databases)."""
    bind = op.get_bind()
    broadcast = sa.table("broadcast", sa.column("id", sa.Integer), sa.column("attachment", sa.JSON))
    found = bind.execute(
        sa.select(broadcast.c.id, broadcast.c.attachment).where(broadcast.c.attachment.is_not(None))
    ).all()
    for row_id, attachment in found:
        value = json.loads(attachment) if isinstance(attachment, str) else attachment
        if isinstance(value, dict):
            changed = change(value)
            if changed != value:
                bind.execute(
                    broadcast.update().where(broadcast.c.id == row_id).values(attachment=changed)
                )


def _named(value: dict[str, Any]) -> dict[str, Any]:
    if "file_id" not in value:
        return value
    rest = {k: v for k, v in value.items() if k != "file_id"}
    return {**rest, "channel": "telegram", "ref": value["file_id"]}


def _unnamed(value: dict[str, Any]) -> dict[str, Any] | None:
    if "ref" not in value:
        return value
    if value.get("channel") != "telegram":
        return None  # another channel's file: the previous release could not send it
    rest = {k: v for k, v in value.items() if k not in ("channel", "ref")}
    return {**rest, "file_id": value["ref"]}


def downgrade() -> None:
    _attachments(_unnamed)
    for table in _TABLES:
        # The previous schema knew only Telegram references; another channel's mean nothing.
        op.execute(
            sa.text(
                f"UPDATE {table} SET channel_file_ref = NULL, channel_file_unique_ref = NULL"
                " WHERE channel IS NOT NULL AND channel <> 'telegram'"
            )
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"ck_{table}_channel"), type_="check")
            batch_op.drop_column("channel")
            batch_op.alter_column(
                "channel_file_ref",
                new_column_name="telegram_file_id",
                existing_type=sa.String(length=255),
                existing_nullable=True,
            )
            batch_op.alter_column(
                "channel_file_unique_ref",
                new_column_name="telegram_file_unique_id",
                existing_type=sa.String(length=64),
                existing_nullable=True,
            )
