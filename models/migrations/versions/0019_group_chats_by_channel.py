"""group chats by channel: a cohort's group is named by its channel and that channel's chat
reference, and a queued group post points at the group, not at a Telegram chat id

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 01:30:00

`cohort_group.chat_id` (a Telegram chat id, a number) becomes `channel` ('telegram' for every
existing group) and `chat_ref` (the chat as that channel names it, a string), unique together.
`outbox_message.chat_id`, the Telegram chat of a post to a group, becomes `group_id`, the
cohort_group row: a group that moves (Telegram's supergroup migration) is followed by changing
the group alone, and the queue keeps no channel's id. A queued post whose chat no group names
any more has nowhere to go: it is dropped with the column (the previous release could not
have sent it either, since a post goes only to a linked group).

Downgrade: the previous schema knows Telegram groups only; other channels' groups and their
posts are deleted.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# domain.enums.Channel as of this revision.
_CHANNELS = "channel IN ('telegram', 'whatsapp')"
_GROUP_FK = "fk_outbox_message_group_id_cohort_group"
_GROUP_INDEX = "ix_outbox_message_group_id"


def upgrade() -> None:
    # Nothing points at cohort_group or outbox_message, so SQLite's rebuilds lose nothing.
    with op.batch_alter_table("cohort_group", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("chat_ref", sa.String(length=64), nullable=True))
    op.execute(
        sa.text(
            "UPDATE cohort_group SET channel = 'telegram', chat_ref = CAST(chat_id AS VARCHAR(64))"
        )
    )
    with op.batch_alter_table("cohort_group", schema=None) as batch_op:
        batch_op.alter_column("channel", existing_type=sa.String(length=24), nullable=False)
        batch_op.alter_column("chat_ref", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint("uq_cohort_group_chat_id", type_="unique")
        batch_op.drop_column("chat_id")
        batch_op.create_check_constraint("ck_cohort_group_channel", _CHANNELS)
        batch_op.create_unique_constraint("uq_cohort_group_channel", ["channel", "chat_ref"])

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_id", sa.Integer(), nullable=True))
    op.execute(
        sa.text(
            "UPDATE outbox_message SET group_id = (SELECT g.id FROM cohort_group g"
            "  WHERE g.channel = 'telegram'"
            "  AND g.chat_ref = CAST(outbox_message.chat_id AS VARCHAR(64)))"
            " WHERE chat_id IS NOT NULL"
        )
    )
    op.execute(
        sa.text(
            "DELETE FROM outbox_message"
            " WHERE chat_id IS NOT NULL AND group_id IS NULL AND recipient_id IS NULL"
        )
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("chat_id")
        batch_op.create_foreign_key(
            _GROUP_FK, "cohort_group", ["group_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.create_index(_GROUP_INDEX, ["group_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))
    op.execute(
        sa.text(
            "DELETE FROM outbox_message WHERE group_id IN"
            " (SELECT id FROM cohort_group WHERE channel <> 'telegram')"
        )
    )
    op.execute(
        sa.text(
            "UPDATE outbox_message SET chat_id = (SELECT CAST(g.chat_ref AS BIGINT)"
            "  FROM cohort_group g WHERE g.id = outbox_message.group_id)"
            " WHERE group_id IS NOT NULL"
        )
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_index(_GROUP_INDEX)
        batch_op.drop_constraint(_GROUP_FK, type_="foreignkey")
        batch_op.drop_column("group_id")

    op.execute(sa.text("DELETE FROM cohort_group WHERE channel <> 'telegram'"))
    with op.batch_alter_table("cohort_group", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))
    op.execute(sa.text("UPDATE cohort_group SET chat_id = CAST(chat_ref AS BIGINT)"))
    with op.batch_alter_table("cohort_group", schema=None) as batch_op:
        batch_op.alter_column("chat_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.drop_constraint("uq_cohort_group_channel", type_="unique")
        batch_op.drop_constraint("ck_cohort_group_channel", type_="check")
        batch_op.drop_column("chat_ref")
        batch_op.drop_column("channel")
        batch_op.create_unique_constraint("uq_cohort_group_chat_id", ["chat_id"])
