"""The claim checks its start hint by the (item, user) key, whatever plan a young table gave its
connection (PostgreSQL only).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 02:10:00
"""
from alembic import op

from annotator.db.migrations.team_sql import run_part

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        run_part("0015_claim_hint_by_key.sql")


def downgrade() -> None:
    # The function answers exactly as 0007's did; only the index its plans may use differs, so
    # there is nothing to undo.
    pass
