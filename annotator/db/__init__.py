"""Database: models, engine factory and packaged migrations."""

from __future__ import annotations

from annotator.db.engine import Database, make_engine
from annotator.errors import SchemaOutOfDate


def open_database(url: str, *, upgrade: bool | None = None) -> Database:
    """Open a database, ready for use.

    A SQLite file (the embedded default, or an offline bundle) belongs to this user and is
    brought up to date on open. A shared PostgreSQL database is upgraded only when asked
    (`annotator db upgrade`), because other people's clients may still run the old version.
    """
    from annotator.db import migrate

    db = Database(url)
    if upgrade is None:
        upgrade = db.is_sqlite
    if not migrate.is_current(db.engine):
        if upgrade:
            migrate.upgrade(db.engine)
        else:
            db.dispose()
            raise SchemaOutOfDate(
                f"The database {db.describe()} is at schema revision "
                f"{migrate.current_revision(db.engine) or 'none'}, not {migrate.head_revision()}. "
                "Run `annotator db upgrade` to bring it up to date."
            )
    return db


__all__ = ["Database", "make_engine", "open_database"]
