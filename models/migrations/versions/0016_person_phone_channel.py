"""person phone and preferred channel: the roster's mobile number and the channel to invite on

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 22:40:00

`person.phone` holds the roster's mobile number in E.164 ("+6281234567890") and
`person.preferred_channel` the channel the roster names ('telegram' or 'whatsapp'); both are
null for everyone imported so far, whose invites then give both links.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# domain.enums.Channel as of this revision.
_CHECK = "preferred_channel IN ('telegram', 'whatsapp')"
_CONSTRAINT = "ck_person_preferred_channel"


def upgrade() -> None:
    op.add_column("person", sa.Column("phone", sa.String(length=16), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # A batch would rebuild `person`, which half the schema points at; SQLite takes a new
        # column with its own CHECK in place.
        op.execute(
            "ALTER TABLE person ADD COLUMN preferred_channel VARCHAR(24)"
            f" CONSTRAINT {_CONSTRAINT} CHECK ({_CHECK})"
        )
    else:
        op.add_column("person", sa.Column("preferred_channel", sa.String(length=24)))
        op.create_check_constraint(op.f(_CONSTRAINT), "person", _CHECK)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite 3.35+ drops a column in place (its own CHECK goes with it): no rebuild.
        op.execute("ALTER TABLE person DROP COLUMN preferred_channel")
        op.execute("ALTER TABLE person DROP COLUMN phone")
        return
    op.drop_constraint(op.f(_CONSTRAINT), "person", type_="check")
    op.drop_column("person", "preferred_channel")
    op.drop_column("person", "phone")
