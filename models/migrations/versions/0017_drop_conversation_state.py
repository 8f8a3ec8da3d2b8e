"""no Telegram ids left in the core: PTB's conversation_state goes, and an announcement's live
status message is named by the organizer's channel account and that channel's reference

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 00:10:00

Every form has lived in `form_state` since 0014 and no handler keeps PTB user_data, so
`conversation_state` (python-telegram-bot persistence rows) only holds forms half-written
under the release before 0014: they are dropped with it (a downgrade brings the table back
empty). `broadcast.status_chat_id` and `status_message_id`, a Telegram chat and message id,
become `status_account_id` (the organizer's channel account, the one the status message went
to) and `status_message_ref` (the message as that channel names it); a status message in a
chat no account stands for any more (an erased organizer) is forgotten, as erasure does.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACCOUNT_FK = "fk_broadcast_status_account_id_channel_account"


def _foreign_keys_off() -> bool:
    """SQLite rebuilds `broadcast` to add a foreign key and drop columns; dropping the old copy
    with foreign keys on would cascade-delete every queued message of every announcement. The
    pragma only takes effect outside a transaction, so an open one (earlier migrations of the
    same run, finished anyway) is committed first. Returns whether to switch them on again."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite" or not bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        return False
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        bind.exec_driver_sql("COMMIT")
        bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("migration 0017: cannot switch SQLite foreign keys off")
    return True


def _foreign_keys_on() -> None:
    """Check every reference, then switch foreign keys on again (outside a transaction too)."""
    bind = op.get_bind()
    problems = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
    if problems:
        raise RuntimeError(f"migration 0017: foreign keys broken: {problems[:5]}")
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=ON")
    if not bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("migration 0017: cannot switch SQLite foreign keys on again")


def upgrade() -> None:
    op.drop_table("conversation_state")
    restore_foreign_keys = _foreign_keys_off()
    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_account_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("status_message_ref", sa.String(128), nullable=True))
        batch_op.create_foreign_key(
            _ACCOUNT_FK, "channel_account", ["status_account_id"], ["id"], ondelete="SET NULL"
        )
    # Only Telegram existed: the status chat is a private chat with the organizer, whose
    # Telegram account keeps that chat's id as its chat reference.
    op.execute(
        sa.text(
            "UPDATE broadcast SET"
            " status_account_id = (SELECT a.id FROM channel_account a"
            "   WHERE a.channel = 'telegram'"
            "   AND a.chat_ref = CAST(broadcast.status_chat_id AS VARCHAR(32))),"
            " status_message_ref = CAST(status_message_id AS VARCHAR(32))"
            " WHERE status_chat_id IS NOT NULL AND status_message_id IS NOT NULL"
        )
    )
    op.execute(
        sa.text("UPDATE broadcast SET status_message_ref = NULL WHERE status_account_id IS NULL")
    )
    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        batch_op.drop_column("status_chat_id")
        batch_op.drop_column("status_message_id")
    if restore_foreign_keys:
        _foreign_keys_on()


def downgrade() -> None:
    restore_foreign_keys = _foreign_keys_off()
    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_chat_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("status_message_id", sa.BigInteger(), nullable=True))
    # The previous schema knew Telegram status messages only.
    op.execute(
        sa.text(
            "UPDATE broadcast SET"
            " status_chat_id = (SELECT CAST(a.chat_ref AS BIGINT) FROM channel_account a"
            "   WHERE a.id = broadcast.status_account_id AND a.channel = 'telegram'),"
            " status_message_id = CAST(status_message_ref AS BIGINT)"
            " WHERE status_account_id IS NOT NULL"
        )
    )
    op.execute(
        sa.text("UPDATE broadcast SET status_message_id = NULL WHERE status_chat_id IS NULL")
    )
    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        batch_op.drop_constraint(_ACCOUNT_FK, type_="foreignkey")
        batch_op.drop_column("status_message_ref")
        batch_op.drop_column("status_account_id")
    if restore_foreign_keys:
        _foreign_keys_on()
    op.create_table(
        "conversation_state",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.Column("updated_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", name=op.f("pk_conversation_state")),
    )
