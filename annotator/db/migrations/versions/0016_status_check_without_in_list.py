"""SQLite: the assignments' status constraint written as comparisons joined by OR, not as an IN
list. The same rule, in another form: SQLite checks `status IN (…six values…)` by building a
temporary index of the six values, on every insert of an assignment and every update of its
status, which is two of them in each submit-and-next; the OR form is plain comparisons.

The table is not rebuilt: only the text of its constraint changes, by the procedure SQLite's
documentation gives for changing a CHECK constraint (writable_schema, then a new schema
version). No row is read or written. PostgreSQL checks an IN list without any such cost, and
keeps its constraint as it is.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 04:20:00
"""
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

STATUSES = ('claimed', 'submitted', 'approved', 'rejected', 'expired', 'released')
AS_IN_LIST = f"CHECK (status IN ({', '.join(repr(s) for s in STATUSES)}))"
AS_COMPARISONS = f"CHECK ({' OR '.join(f'status = {s!r}' for s in STATUSES)})"


def upgrade() -> None:
    _rewrite_status_check(AS_IN_LIST, AS_COMPARISONS)


def downgrade() -> None:
    _rewrite_status_check(AS_COMPARISONS, AS_IN_LIST)


def _rewrite_status_check(old: str, new: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    sql = bind.exec_driver_sql("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = 'assignments'").scalar()
    if sql.count(old) != 1:
        raise RuntimeError(f"the assignments table's status constraint is not the expected {old!r}: {sql}")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        bind.exec_driver_sql("UPDATE sqlite_schema SET sql = ? WHERE type = 'table' AND name = 'assignments'",
                             (sql.replace(old, new),))
        bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")  # every connection rereads the schema
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")
