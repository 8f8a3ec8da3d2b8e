"""channel accounts: a person's Telegram ids move to an account; relays and codes by channel

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 18:45:00

Every person with a Telegram id gets a `channel_account` row (channel "telegram", the ids as
strings, reachability and when they were marked unreachable); invites point at the account
that used them; wrong-code counters, relayed messages and sent messages keep the channel's
references as strings. The person loses telegram_user_id, telegram_chat_id and reachable.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# domain.enums.Channel as of this revision.
_CHANNELS = "channel IN ('telegram', 'whatsapp')"


def _channel_check(table: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(_CHANNELS, name=op.f(f"ck_{table}_channel"))


def _foreign_keys_off() -> bool:
    """SQLite rebuilds a table to drop a column; dropping the old `person` with foreign keys
    on would cascade-delete every row that refers to it. The pragma only takes effect
    outside a transaction, so an open one (earlier migrations in the same run) is committed
    first: those migrations are finished anyway. Returns whether it must be turned on again."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite" or not bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        return False
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        bind.exec_driver_sql("COMMIT")
        bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    if bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("migration 0011: cannot switch SQLite foreign keys off")
    return True


def _foreign_keys_on() -> None:
    """Check every reference, then switch foreign keys on again. That too needs no open
    transaction, so the migration's work is committed here, just before Alembic stamps it;
    the pooled connection must not go back to the application without them."""
    bind = op.get_bind()
    problems = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
    if problems:
        raise RuntimeError(f"migration 0011: foreign keys broken: {problems[:5]}")
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=ON")
    if not bind.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("migration 0011: cannot switch SQLite foreign keys on again")


def upgrade() -> None:
    restore_foreign_keys = _foreign_keys_off()
    op.create_table(
        "channel_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=24), nullable=False),
        sa.Column("external_user_id", sa.String(length=64), nullable=False),
        sa.Column("chat_ref", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("reachable", sa.Boolean(), nullable=False),
        sa.Column("blocked_since", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_inbound_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            models.base.UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_channel_account_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_account")),
        sa.UniqueConstraint("channel", "external_user_id", name=op.f("uq_channel_account_channel")),
        sa.UniqueConstraint("person_id", "channel", name=op.f("uq_channel_account_person_id")),
        _channel_check("channel_account"),
    )
    with op.batch_alter_table("channel_account", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_channel_account_person_id"), ["person_id"], unique=False
        )
    # Someone marked unreachable was marked at their last update, the best moment known.
    op.execute(
        sa.text(
            "INSERT INTO channel_account (person_id, channel, external_user_id, chat_ref,"
            " reachable, blocked_since, updated_at, created_at)"
            " SELECT id, 'telegram', CAST(telegram_user_id AS VARCHAR(64)),"
            " CAST(telegram_chat_id AS VARCHAR(64)), reachable,"
            " CASE WHEN reachable THEN NULL ELSE updated_at END, updated_at,"
            " COALESCE(joined_at, created_at)"
            " FROM person WHERE telegram_user_id IS NOT NULL ORDER BY id"
        )
    )

    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.add_column(sa.Column("used_by_account_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_invite_used_by_account_id_channel_account"),
            "channel_account",
            ["used_by_account_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.execute(
        sa.text(
            "UPDATE invite SET used_by_account_id = (SELECT a.id FROM channel_account a"
            " WHERE a.channel = 'telegram'"
            " AND a.external_user_id = CAST(invite.used_by_telegram_id AS VARCHAR(64)))"
            " WHERE used_by_telegram_id IS NOT NULL"
        )
    )
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.drop_column("used_by_telegram_id")

    _upgrade_code_attempts()
    _upgrade_relays()

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("message_ref", sa.String(length=128), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_message_account_id_channel_account"),
            "channel_account",
            ["account_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.execute(
        sa.text(
            "UPDATE outbox_message SET message_ref = CAST(telegram_message_id AS VARCHAR(128)),"
            " account_id = (SELECT a.id FROM channel_account a"
            " WHERE a.person_id = outbox_message.recipient_id AND a.channel = 'telegram')"
            " WHERE telegram_message_id IS NOT NULL"
        )
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("telegram_message_id")

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_person_telegram_user_id"), type_="unique")
        batch_op.drop_column("telegram_user_id")
        batch_op.drop_column("telegram_chat_id")
        batch_op.drop_column("reachable")
    if restore_foreign_keys:
        _foreign_keys_on()


def _upgrade_code_attempts() -> None:
    # The primary key changes; the few rows (guess counters) are carried over by hand.
    op.rename_table("code_attempt", "code_attempt_0010")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text("ALTER INDEX pk_code_attempt RENAME TO pk_code_attempt_0010"))
    op.create_table(
        "code_attempt",
        sa.Column("channel", sa.String(length=24), nullable=False),
        sa.Column("external_user_id", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("channel", "external_user_id", name=op.f("pk_code_attempt")),
        _channel_check("code_attempt"),
    )
    op.execute(
        sa.text(
            "INSERT INTO code_attempt (channel, external_user_id, failures, window_started_at,"
            " locked_until) SELECT 'telegram', CAST(telegram_user_id AS VARCHAR(64)), failures,"
            " window_started_at, locked_until FROM code_attempt_0010"
        )
    )
    op.drop_table("code_attempt_0010")


def _upgrade_relays() -> None:
    with op.batch_alter_table("relayed_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("chat_ref", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("message_ref", sa.String(length=128), nullable=True))
    op.execute(
        sa.text(
            "UPDATE relayed_message SET channel = 'telegram',"
            " chat_ref = CAST(chat_id AS VARCHAR(64)),"
            " message_ref = CAST(message_id AS VARCHAR(128))"
        )
    )
    with op.batch_alter_table("relayed_message", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_relayed_message_chat_id"), type_="unique")
        batch_op.drop_column("chat_id")
        batch_op.drop_column("message_id")
        batch_op.alter_column("channel", existing_type=sa.String(length=24), nullable=False)
        batch_op.alter_column("chat_ref", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("message_ref", existing_type=sa.String(length=128), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_relayed_message_channel"), ["channel", "chat_ref", "message_ref"]
        )
        batch_op.create_check_constraint(batch_op.f("ck_relayed_message_channel"), _CHANNELS)


def downgrade() -> None:
    # Only Telegram existed before: accounts on other channels, and what refers to them, go.
    restore_foreign_keys = _foreign_keys_off()
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("telegram_user_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("telegram_chat_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("reachable", sa.Boolean(), nullable=True))
    op.execute(
        sa.text(
            "UPDATE person SET"
            " telegram_user_id = (SELECT CAST(a.external_user_id AS BIGINT) FROM channel_account a"
            " WHERE a.person_id = person.id AND a.channel = 'telegram'),"
            " telegram_chat_id = (SELECT CAST(a.chat_ref AS BIGINT) FROM channel_account a"
            " WHERE a.person_id = person.id AND a.channel = 'telegram'),"
            " reachable = COALESCE((SELECT a.reachable FROM channel_account a"
            " WHERE a.person_id = person.id AND a.channel = 'telegram'), erased_at IS NULL)"
        )
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.alter_column("reachable", existing_type=sa.Boolean(), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_person_telegram_user_id"), ["telegram_user_id"]
        )

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("telegram_message_id", sa.BigInteger(), nullable=True))
    op.execute(
        sa.text(
            "UPDATE outbox_message SET telegram_message_id = CAST(message_ref AS BIGINT)"
            " WHERE message_ref IS NOT NULL AND (account_id IS NULL OR account_id IN"
            " (SELECT id FROM channel_account WHERE channel = 'telegram'))"
        )
    )
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_outbox_message_account_id_channel_account"), type_="foreignkey"
        )
        batch_op.drop_column("message_ref")
        batch_op.drop_column("account_id")

    op.execute(sa.text("DELETE FROM relayed_message WHERE channel <> 'telegram'"))
    with op.batch_alter_table("relayed_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("message_id", sa.BigInteger(), nullable=True))
    op.execute(
        sa.text(
            "UPDATE relayed_message SET chat_id = CAST(chat_ref AS BIGINT),"
            " message_id = CAST(message_ref AS BIGINT)"
        )
    )
    with op.batch_alter_table("relayed_message", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_relayed_message_channel"), type_="unique")
        batch_op.drop_constraint(batch_op.f("ck_relayed_message_channel"), type_="check")
        batch_op.drop_column("message_ref")
        batch_op.drop_column("chat_ref")
        batch_op.drop_column("channel")
        batch_op.alter_column("chat_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("message_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_relayed_message_chat_id"), ["chat_id", "message_id"]
        )

    op.rename_table("code_attempt", "code_attempt_0011")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text("ALTER INDEX pk_code_attempt RENAME TO pk_code_attempt_0011"))
    op.create_table(
        "code_attempt",
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("telegram_user_id", name=op.f("pk_code_attempt")),
    )
    op.execute(
        sa.text(
            "INSERT INTO code_attempt (telegram_user_id, failures, window_started_at,"
            " locked_until) SELECT CAST(external_user_id AS BIGINT), failures,"
            " window_started_at, locked_until FROM code_attempt_0011 WHERE channel = 'telegram'"
        )
    )
    op.drop_table("code_attempt_0011")

    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.add_column(sa.Column("used_by_telegram_id", sa.BigInteger(), nullable=True))
    op.execute(
        sa.text(
            "UPDATE invite SET used_by_telegram_id = (SELECT CAST(a.external_user_id AS BIGINT)"
            " FROM channel_account a WHERE a.id = invite.used_by_account_id"
            " AND a.channel = 'telegram')"
        )
    )
    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_invite_used_by_account_id_channel_account"), type_="foreignkey"
        )
        batch_op.drop_column("used_by_account_id")

    with op.batch_alter_table("channel_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channel_account_person_id"))
    op.drop_table("channel_account")
    if restore_foreign_keys:
        _foreign_keys_on()
