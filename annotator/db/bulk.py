"""Many rows into one table at the driver's own speed. SQLAlchemy's executemany processes each
row's parameters through every column's type in Python, which on a large import costs more than
the insert itself; here each value goes to the driver as it is. JSON columns are serialised as
SQLAlchemy would (`json.dumps`, None as JSON null), and a column the rows leave out gets its
default, evaluated once for the batch: one import, one `created_at`."""

from __future__ import annotations

import json
from operator import itemgetter

from sqlalchemy import JSON, Table
from sqlalchemy.orm import Session


def insert_many(session: Session, table: Table, rows: list[dict]) -> None:
    """Insert `rows`, which all name the same columns, in the session's transaction, in order."""
    if not rows:
        return
    conn = session.connection()
    dialect = conn.dialect
    given = list(rows[0])
    columns = {c.name: c for c in table.columns}
    defaults = {}
    for column in table.columns:
        if column.name in given or column.primary_key or column.default is None:
            continue
        value = column.default.arg(None) if column.default.is_callable else column.default.arg
        process = column.type.dialect_impl(dialect).bind_processor(dialect)  # e.g. SQLite's datetime text
        defaults[column.name] = process(value) if process else value
    is_json = [isinstance(columns[name].type, JSON) for name in given]
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    on_pg = dialect.name == "postgresql"
    placeholders = [f"{marker}::jsonb" if on_pg and j else marker for j in is_json] + [marker] * len(defaults)
    names = ", ".join(dialect.identifier_preparer.quote(n) for n in [*given, *defaults])
    sql = f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names}) VALUES ({', '.join(placeholders)})"
    tail = tuple(defaults.values())
    dumps = json.dumps
    json_at = [n for n, j in enumerate(is_json) if j]
    values_of = itemgetter(*given) if len(given) > 1 else lambda row: (row[given[0]],)
    params = []
    for row in rows:
        values = list(values_of(row))
        for n in json_at:
            value = values[n]
            values[n] = "null" if value is None else dumps(value)
        values.extend(tail)
        params.append(tuple(values))
    conn.exec_driver_sql(sql, params)
