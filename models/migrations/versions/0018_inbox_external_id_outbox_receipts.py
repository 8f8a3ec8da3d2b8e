"""inbox keys for every channel, delivery receipts: an inbox row is unique by the channel's own
key (a string), and a sent message records when it was delivered and read

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 01:00:00

`inbox_update.update_id` was a number because Telegram's update ids are; a WhatsApp message is
named by its wamid, a string, and a WhatsApp status by "status:<wamid>:<status>". The new
`external_id` (String(200)) is the key for every channel, unique with `channel`, so Meta's
retried posts are stored once as Telegram's are. Existing rows (all Telegram) get their
update_id in decimal, so a Telegram post stored before the upgrade and retried after it is
still recognized. `update_id` stays, now nullable, as Telegram's number: the worker's logs and
the operators' tools read it; other channels leave it empty.

`outbox_message` gains `delivered_at` and `read_at` (WhatsApp's status webhooks), and an index
on `message_ref`, by which a status finds its message.

Downgrade: the previous schema knows Telegram updates only, so rows of other channels (their
update_id empty) are deleted with the column; Telegram rows keep their update_id.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_UNIQUE = "uq_inbox_update_channel_update_id"
_NEW_UNIQUE = "uq_inbox_update_channel_external_id"
_REF_INDEX = "ix_outbox_message_message_ref"


def upgrade() -> None:
    # On SQLite the batch rebuilds inbox_update; no foreign key points at it, so nothing else
    # is touched. outbox_message only gains nullable columns: added in place, never rebuilt.
    op.add_column("inbox_update", sa.Column("external_id", sa.String(length=200), nullable=True))
    op.execute(sa.text("UPDATE inbox_update SET external_id = CAST(update_id AS VARCHAR(32))"))
    with op.batch_alter_table("inbox_update", schema=None) as batch_op:
        batch_op.alter_column("external_id", existing_type=sa.String(length=200), nullable=False)
        batch_op.alter_column("update_id", existing_type=sa.BigInteger(), nullable=True)
        batch_op.drop_constraint(_OLD_UNIQUE, type_="unique")
        batch_op.create_unique_constraint(_NEW_UNIQUE, ["channel", "external_id"])
    op.add_column(
        "outbox_message",
        sa.Column("delivered_at", models.base.UtcDateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "outbox_message",
        sa.Column("read_at", models.base.UtcDateTime(timezone=True), nullable=True),
    )
    op.create_index(_REF_INDEX, "outbox_message", ["message_ref"])


def downgrade() -> None:
    op.drop_index(_REF_INDEX, table_name="outbox_message")
    op.drop_column("outbox_message", "read_at")
    op.drop_column("outbox_message", "delivered_at")
    # The previous schema knew Telegram updates only.
    op.execute(sa.text("DELETE FROM inbox_update WHERE update_id IS NULL"))
    with op.batch_alter_table("inbox_update", schema=None) as batch_op:
        batch_op.drop_constraint(_NEW_UNIQUE, type_="unique")
        batch_op.create_unique_constraint(_OLD_UNIQUE, ["channel", "update_id"])
        batch_op.alter_column("update_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.drop_column("external_id")
