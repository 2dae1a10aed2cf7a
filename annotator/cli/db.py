"""`annotator db …`: the schema's migrations."""

from __future__ import annotations


import typer

from annotator.cli.common import (console, database_url)

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Bring the database schema up to date (creates it on an empty database)."""
    from annotator.db import Database, migrate

    db = Database(database_url(ctx))
    try:
        before = migrate.current_revision(db.engine)
        migrate.upgrade(db.engine)
        after = migrate.current_revision(db.engine)
    finally:
        db.dispose()
    if before == after:
        console.print(f"{db.describe()} is up to date (revision {after}).")
    else:
        console.print(f"Upgraded {db.describe()} from {before or 'empty'} to {after}.")


@app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Show the schema revision of the database and of this program."""
    from annotator.db import Database, migrate

    db = Database(database_url(ctx))
    try:
        console.print(f"database: {db.describe()}\nrevision: {migrate.current_revision(db.engine) or 'empty'}\nprogram:  {migrate.head_revision()}")
    finally:
        db.dispose()
