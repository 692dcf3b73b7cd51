"""Tasks: a user's to-do tasks and their tags.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 04:02:36.579766
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from backroom.core.db import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("title_key", sa.String(length=600), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("priority IN (1, 2, 3)", name=op.f("ck_task_priority")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_task_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.create_index(
            "ix_task_user_id_completed_id", ["user_id", "completed", "id"], unique=False
        )
        batch_op.create_index(
            "ix_task_user_id_due_at_id", ["user_id", "due_at", "id"], unique=False
        )
        batch_op.create_index("ix_task_user_id_id", ["user_id", "id"], unique=False)
        batch_op.create_index(
            "ix_task_user_id_priority_id", ["user_id", "priority", "id"], unique=False
        )
        batch_op.create_index(
            "ix_task_user_id_title_key_id", ["user_id", "title_key", "id"], unique=False
        )
        batch_op.create_index(
            "ix_task_user_id_updated_at_id", ["user_id", "updated_at", "id"], unique=False
        )

    op.create_table(
        "task_tag",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("name_key", sa.String(length=150), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["task.id"], name=op.f("fk_task_tag_task_id_task"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_task_tag_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("task_id", "name_key", name=op.f("pk_task_tag")),
    )
    with op.batch_alter_table("task_tag", schema=None) as batch_op:
        batch_op.create_index("ix_task_tag_user_id_name_key", ["user_id", "name_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("task_tag", schema=None) as batch_op:
        batch_op.drop_index("ix_task_tag_user_id_name_key")

    op.drop_table("task_tag")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index("ix_task_user_id_updated_at_id")
        batch_op.drop_index("ix_task_user_id_title_key_id")
        batch_op.drop_index("ix_task_user_id_priority_id")
        batch_op.drop_index("ix_task_user_id_id")
        batch_op.drop_index("ix_task_user_id_due_at_id")
        batch_op.drop_index("ix_task_user_id_completed_id")

    op.drop_table("task")
