"""A login's group memberships change only where they differ (PostgreSQL only): `user add`,
`passwd`, `set-role` and `deactivate` no longer leave a server warning for each group role the
login was never in.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 05:40:00
"""
from alembic import op

from annotator.db.migrations.team_sql import run_part

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        run_part("0017_put_login_quietly.sql")


def downgrade() -> None:
    # The function leaves the same memberships as 0007's did, with fewer statements; there is
    # nothing to undo.
    pass
