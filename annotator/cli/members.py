"""`annotator member …`: who works on a project, paused and reinstated."""

from __future__ import annotations

from typing import Optional

import typer
from rich.table import Table

from annotator.cli.common import (acting_user, console, reading, writing)

app = typer.Typer(help="Who works on a project, and their standing there: added, paused, reinstated.",
                  no_args_is_help=True)


@app.command("list")
def member_list(ctx: typer.Context, project: Optional[str] = typer.Argument(None)) -> None:
    """Paused annotators, with the reason."""
    from annotator.core.quality import paused_members

    with reading(ctx) as s:
        rows = paused_members(s, acting_user(ctx), project)
    table = Table("user", "project", "since", "reason")
    for m in rows:
        table.add_row(m.user, m.project, f"{m.since:%Y-%m-%d %H:%M}", m.reason)
    console.print(table)


@app.command("add")
def member_add(ctx: typer.Context, user: str, project: str) -> None:
    """Make a user a member of a project: on a team database, only members claim its items, and a
    lead leads the projects they are a member of."""
    from annotator.core.members import add_member

    with writing(ctx) as s:
        added = add_member(s, acting_user(ctx), user, project)
    console.print(f"{user} is {'now' if added else 'already'} a member of {project}.")


@app.command("reinstate")
def member_reinstate(ctx: typer.Context, user: str, project: str) -> None:
    """Let a paused annotator work on the project again."""
    from annotator.core.quality import reinstate

    with writing(ctx) as s:
        reinstate(s, acting_user(ctx), user, project)
    console.print(f"{user} is reinstated on {project}.")


@app.command("pause")
def member_pause(ctx: typer.Context, user: str, project: str, reason: str = typer.Option(..., "--reason")) -> None:
    """Pause an annotator on a project, with a reason they will see."""
    from annotator.core.quality import pause

    with writing(ctx) as s:
        pause(s, acting_user(ctx), user, project, reason)
    console.print(f"{user} is paused on {project}.")
