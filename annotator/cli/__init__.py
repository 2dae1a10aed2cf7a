"""The `annotator` command, assembled from one module per group of sub-commands; what they share
(the database this invocation opens, the person it acts as, the consoles) is in common.py."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from annotator import __version__
from annotator.cli import data, db, gold, media, members, offline, pay, projects, queue, review, root, users
from annotator.cli.common import Invocation, console, err
from annotator.errors import AnnotatorError

app = typer.Typer(no_args_is_help=False, add_completion=False, help="Annotator: an in-house annotation workstation.")
app.add_typer(root.app)
app.add_typer(data.app)
for group, name in ((db.app, "db"), (projects.app, "project"), (review.app, "review"), (members.app, "member"),
                    (queue.app, "queue"), (offline.offline_app, "offline"), (offline.conflict_app, "conflict"),
                    (offline.item_app, "item"), (gold.gold_app, "gold"), (users.user_app, "user"),
                    (media.media_app, "media"), (pay.pay_app, "pay")):
    app.add_typer(group, name=name)


@app.callback(invoke_without_command=True)
def _main(
    ctx: typer.Context,
    db_url: Optional[str] = typer.Option(
        None, "--db", help="Database URL or SQLite/bundle path. Default: $ANNOTATOR_DATABASE_URL, then a file in the user data folder."
    ),
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    ctx.obj = Invocation(db_url)
    if version:
        console.print(f"annotator {__version__}")
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        root.gui(ctx)


def main() -> None:
    try:
        app()
    except AnnotatorError as exc:
        err.print(f"error: {exc}", style="red", highlight=False, markup=False, soft_wrap=True)
        sys.exit(1)
    except Exception as exc:
        from annotator.core.queue_pg import refusal

        refused = refusal(exc)  # the server said no: its reason, in one line
        if refused is None:
            raise
        err.print(f"error: {refused}", style="red", highlight=False, markup=False, soft_wrap=True)
        sys.exit(1)

