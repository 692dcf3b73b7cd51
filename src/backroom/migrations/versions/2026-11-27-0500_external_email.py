"""Keep a Better Auth user's email out of the unique email of local accounts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 05:00:00.000000

The email a Better Auth token carries is shown on that user but reserves nothing, so
it moves from `user.email` (unique: local registrations and admin-created accounts)
to a column of its own.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

user = sa.table(
    "user",
    sa.column("email", sa.String()),
    sa.column("external_email", sa.String()),
    sa.column("external_id", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table("user") as batch:
        batch.add_column(sa.Column("external_email", sa.String(length=254), nullable=True))
    op.execute(
        user.update()
        .where(user.c.external_id.is_not(None))
        .values(external_email=user.c.email, email=None)
    )


def downgrade() -> None:
    # Back into the unique column where no local account has taken the address since.
    local = sa.alias(user, "local")
    taken = sa.select(local.c.email).where(local.c.email.is_not(None)).scalar_subquery()
    op.execute(
        user.update()
        .where(
            user.c.external_id.is_not(None),
            user.c.email.is_(None),
            user.c.external_email.is_not(None),
            user.c.external_email.not_in(taken),
        )
        .values(email=user.c.external_email)
    )
    with op.batch_alter_table("user") as batch:
        batch.drop_column("external_email")
