"""A give-back moves the queue epoch of overlap-1 projects only (PostgreSQL's function; the
session code does the same without a migration): no other project's claims start from a hint.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 11:00:00
"""
import re

from alembic import op

from annotator.db.migrations.team_sql import PARTS_DIR, run, run_part

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        run_part("0018_epoch_for_overlap_one.sql")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # 0007's function, taken from its file: the one statement that defines it.
        text = (PARTS_DIR / "0007_queue.sql").read_text(encoding="utf-8")
        run(re.search(r"CREATE FUNCTION queue_give_back_slots.*?END \$\$;", text, re.S).group(0)
            .replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
