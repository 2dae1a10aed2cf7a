"""PostgreSQL: autovacuum always cleans the indexes of items and assignments

A claim leaves a dead entry at the front of the claim index (the item's old row version) and a
submit one at the old end of the lease index; nothing is inserted there, so only VACUUM removes
them, and every claim reads past them until it does. PostgreSQL's vacuum skips the index pass
when fewer than 2% of a table's pages hold dead rows, which for a project of 1,000,000 items is
up to about 20,000 claims: measured after 30,000 claims, a claim took 2.6 ms and read 163 index
pages; after a vacuum, 0.77 ms. See docs/adr/0004.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 10:35:00
"""
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("items", "assignments"):
            op.execute(f"ALTER TABLE {table} SET (vacuum_index_cleanup = on)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("items", "assignments"):
            op.execute(f"ALTER TABLE {table} RESET (vacuum_index_cleanup)")
