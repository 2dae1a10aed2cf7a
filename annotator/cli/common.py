"""What every `annotator` sub-command shares: the consoles, the database this invocation opens
and the person it acts as. On a team database (PostgreSQL) that is the connected login, and the
server refuses what it may not do (docs/adr/0009); the password comes from PGPASSWORD,
~/.pgpass, or a prompt. On a SQLite file it is the local operator (core.auth.Actor): whoever can
open the file owns it. One invocation's state lives on Typer's context, which each command
is given and passes on, not in a module's global."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from annotator import config
from annotator.core.auth import Actor
from annotator.errors import AnnotatorError

console = Console()
err = Console(stderr=True)


@dataclass
class Invocation:
    db: str | None = None  # as given with --db
    actor: Actor | None = None  # the login the database was opened as, once it is


def invocation(ctx: typer.Context) -> Invocation:
    """This command's state, kept on the root context by the app's callback."""
    top = ctx.find_root()
    if not isinstance(top.obj, Invocation):
        top.obj = Invocation()
    return top.obj


def database_url(ctx: typer.Context) -> str:
    return config.resolve_database_url(invocation(ctx).db)


def open_db(ctx: typer.Context, upgrade: bool | None = None):
    """The database, opened as whoever the URL, PGPASSWORD or ~/.pgpass say; on a team database
    whose server wants a password none of them gave, the password is asked for."""
    from annotator.db import open_database
    from annotator.db.logins import is_team_url, with_login

    url = database_url(ctx)
    if not is_team_url(url):
        return open_database(url, upgrade=upgrade)
    from sqlalchemy.engine import make_url

    from annotator.core.auth import open_team_database

    user = make_url(url).username or os.environ.get("PGUSER") or _os_user()
    try:
        db, invocation(ctx).actor = open_team_database(url, user, owner_may_operate=True)
    except AnnotatorError as exc:
        # No password given, or a wrong one: at a terminal, ask (login_error words both alike).
        if not ("Wrong user name" in str(exc) and sys.stdin.isatty() and make_url(url).password is None):
            raise
        password = typer.prompt(f"Password of {user}", hide_input=True, err=True)
        db, invocation(ctx).actor = open_team_database(with_login(url, user, password), user, owner_may_operate=True)
    return db


def _os_user() -> str:
    import getpass

    return getpass.getuser()


@contextmanager
def writing(ctx: typer.Context, upgrade: bool | None = None) -> Iterator:
    db = open_db(ctx, upgrade)
    try:
        with db.write() as session:
            yield session
    finally:
        db.dispose()


@contextmanager
def reading(ctx: typer.Context) -> Iterator:
    db = open_db(ctx)
    try:
        with db.read() as session:
            yield session
    finally:
        db.dispose()


def acting_user(ctx: typer.Context) -> Actor:
    """Who this command acts as: the login of the team database opened last, or on SQLite the local operator."""
    return invocation(ctx).actor or Actor.local_operator()


def pct(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.0%}"


@contextmanager
def progress_bar(start: str):
    """A rich progress bar on stderr, and the progress(done, total, what) callback that moves it."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task(start, total=None)
        yield lambda done, total, what: bar.update(task, completed=done, total=total or None, description=what[-48:])


def gui_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("annotator.ui.app") is not None
