"""seminar materials (versions of laporan and bahan tayang) and attendance answers

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seminar_material",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seminar_id", sa.Integer(), nullable=False),
        sa.Column("presenter_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "laporan",
                "bahan_tayang",
                name="material_kind",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("mime_type", sa.String(length=100), nullable=True),
        sa.Column("telegram_file_id", sa.String(length=255), nullable=True),
        sa.Column("telegram_file_unique_id", sa.String(length=64), nullable=True),
        sa.Column("uploaded_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["presenter_id"],
            ["person.id"],
            name=op.f("fk_seminar_material_presenter_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["seminar_id"],
            ["seminar.id"],
            name=op.f("fk_seminar_material_seminar_id_seminar"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seminar_material")),
        sa.UniqueConstraint(
            "seminar_id",
            "presenter_id",
            "kind",
            "version",
            name=op.f("uq_seminar_material_seminar_id"),
        ),
    )
    with op.batch_alter_table("seminar_material", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_seminar_material_presenter_id"), ["presenter_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_seminar_material_seminar_id"), ["seminar_id"], unique=False
        )

    op.create_table(
        "seminar_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seminar_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "answer",
            sa.Enum(
                "hadir",
                "berhalangan",
                name="attendance_answer",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("answered_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_seminar_attendance_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["seminar_id"],
            ["seminar.id"],
            name=op.f("fk_seminar_attendance_seminar_id_seminar"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seminar_attendance")),
        sa.UniqueConstraint(
            "seminar_id", "person_id", name=op.f("uq_seminar_attendance_seminar_id")
        ),
    )
    with op.batch_alter_table("seminar_attendance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_seminar_attendance_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_seminar_attendance_seminar_id"), ["seminar_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("seminar_attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seminar_attendance_seminar_id"))
        batch_op.drop_index(batch_op.f("ix_seminar_attendance_person_id"))
    op.drop_table("seminar_attendance")
    with op.batch_alter_table("seminar_material", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seminar_material_seminar_id"))
        batch_op.drop_index(batch_op.f("ix_seminar_material_presenter_id"))
    op.drop_table("seminar_material")
