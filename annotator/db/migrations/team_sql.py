"""Runs a team migration's SQL part (versions/team/*.sql) on PostgreSQL, in the schema the
migration runs in (the `@schema@` placeholder: the functions pin their search_path to it)."""

from __future__ import annotations

from pathlib import Path

from alembic import op

PARTS_DIR = Path(__file__).parent / "versions" / "team"


def run(sql: str) -> None:
    bind = op.get_bind()
    schema = bind.exec_driver_sql("SELECT quote_ident(current_schema())").scalar()
    # psycopg's own cursor with no parameters: the functions' text has % and : that any parameter
    # parsing would take for placeholders.
    bind.connection.dbapi_connection.cursor().execute(sql.replace("@schema@", schema))


def run_part(name: str) -> None:
    run((PARTS_DIR / name).read_text(encoding="utf-8"))
