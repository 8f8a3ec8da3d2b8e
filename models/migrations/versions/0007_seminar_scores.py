"""seminar scores: examiners' score sheets per presenter, their criteria, the release moment

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "score_sheet",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seminar_id", sa.Integer(), nullable=False),
        sa.Column("presenter_id", sa.Integer(), nullable=False),
        sa.Column("examiner_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                name="score_sheet_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["examiner_id"],
            ["person.id"],
            name=op.f("fk_score_sheet_examiner_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["presenter_id"],
            ["person.id"],
            name=op.f("fk_score_sheet_presenter_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["seminar_id"],
            ["seminar.id"],
            name=op.f("fk_score_sheet_seminar_id_seminar"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_sheet")),
        sa.UniqueConstraint(
            "seminar_id",
            "presenter_id",
            "examiner_id",
            name=op.f("uq_score_sheet_seminar_id"),
        ),
    )
    with op.batch_alter_table("score_sheet", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_score_sheet_seminar_id"), ["seminar_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_score_sheet_presenter_id"), ["presenter_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_score_sheet_examiner_id"), ["examiner_id"], unique=False
        )

    op.create_table(
        "criterion_score",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sheet_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("criterion", sa.String(length=120), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["sheet_id"],
            ["score_sheet.id"],
            name=op.f("fk_criterion_score_sheet_id_score_sheet"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_criterion_score")),
        sa.UniqueConstraint("sheet_id", "position", name=op.f("uq_criterion_score_sheet_id")),
    )

    with op.batch_alter_table("seminar", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("scores_released_at", models.base.UtcDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("seminar", schema=None) as batch_op:
        batch_op.drop_column("scores_released_at")
    op.drop_table("criterion_score")
    with op.batch_alter_table("score_sheet", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_score_sheet_examiner_id"))
        batch_op.drop_index(batch_op.f("ix_score_sheet_presenter_id"))
        batch_op.drop_index(batch_op.f("ix_score_sheet_seminar_id"))
    op.drop_table("score_sheet")
