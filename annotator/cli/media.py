"""`annotator media …`: a project's media store (docs/adr/0012). Assembled into the command by annotator.cli."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from annotator.cli.common import acting_user, console, reading, writing
from annotator.cli.common import progress_bar

media_app = typer.Typer(help="Media stores: where a project's images and audio live.", no_args_is_help=True)


@media_app.command("verify")
def media_verify(ctx: typer.Context, project: str) -> None:
    """Read every object of the project back from its store and check its hash; list what is
    missing or changed. Exits 1 if anything is."""
    from annotator.core.media_admin import record_verified, verify

    with progress_bar("starting") as progress, reading(ctx) as s:
        verified = verify(s, acting_user(ctx), project, progress=progress)
    with writing(ctx) as s:  # after the reads, so no write lock is held while the objects are fetched
        closed = record_verified(s, acting_user(ctx), verified)
    problems = verified.problems
    if closed:
        console.print(f"{closed} item(s) flagged earlier have their objects whole again; their flags are cleared.")
    if not problems:
        console.print(f"Every object of {project} is in its store and matches its hash.")
        return
    table = Table("item", "object", "where", "problem", title=f"{len(problems)} object(s) of {project} are not right")
    for p in problems:
        table.add_row(p.external_id, p.sha256[:12], p.where, p.problem)
    console.print(table)
    raise typer.Exit(1)


@media_app.command("migrate")
def media_migrate(ctx: typer.Context, project: str, to: str = typer.Option(..., "--to", help="s3://bucket/prefix, or a shared folder")) -> None:
    """Move an existing project's media files into a store (an admin's login). Resumable: run it
    again after an interruption and it uploads only what is missing; the items change only once
    every object is in."""
    from annotator.core.media_admin import migrate

    with progress_bar("starting") as progress, writing(ctx) as s:
        uploaded = migrate(s, acting_user(ctx), project, to, progress=progress)
    console.print(f"{project}'s media are in {to} now ({uploaded} object(s) uploaded).")


@media_app.command("map")
def media_map(ctx: typer.Context, project: str, path: Path = typer.Argument(..., help="Where this desktop mounts the project's folder")) -> None:
    """Tell this desktop where it mounts a project's shared media folder (kept on this desktop only)."""
    from annotator.core.projects import get_project
    from annotator.media.desktop import map_folder

    with reading(ctx) as s:
        store = get_project(s, project).media_store
    if not store or store.startswith("s3://"):
        console.print(f"{project} keeps its media {'in ' + store if store else 'by path, in no store'}; "
                      "only a shared folder is mapped.")
        raise typer.Exit(1)
    if not path.is_dir():
        console.print(f"{path} is not a folder on this desktop.")
        raise typer.Exit(1)
    map_folder(store, str(path))
    console.print(f"{project}'s media folder {store} is {path.resolve()} on this desktop.")
