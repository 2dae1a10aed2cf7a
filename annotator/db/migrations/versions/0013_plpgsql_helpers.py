"""The server's small helper functions in PL/pgSQL instead of SQL (PostgreSQL only).

A SQL-language function that cannot be inlined (a SECURITY DEFINER one, or one that writes) is
parsed and planned again in every transaction that calls it; a PL/pgSQL function keeps its
plans for the session. Every claim and submit called four such helpers (the audit trigger's
project lookup, the client clock), and the steps of the queue's uncommon paths two more. Each
helper does exactly what it did; only its language changes.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 18:30:00
"""
from alembic import op

from annotator.db.migrations.team_sql import run_part

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        run_part("0013_plpgsql_helpers.sql")


def downgrade() -> None:
    # Nothing to undo: the functions return what their SQL versions returned, and 0012's schema
    # calls them by the same names and signatures.
    pass
