"""`annotator offline …`, `annotator conflict …` and `annotator item edit`: offline bundles and
what comes back from them. Assembled into the command by annotator.cli."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from annotator.cli.common import acting_user, open_db, reading, writing, console, err
from annotator.errors import AnnotatorError

offline_app = typer.Typer(help="Offline bundles: check work out to a laptop, check it back in.", no_args_is_help=True)
conflict_app = typer.Typer(help="Answers that could not be applied, waiting for a lead.", no_args_is_help=True)
item_app = typer.Typer(help="Single items.", no_args_is_help=True)


def _bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                    console=err, transient=True)


@offline_app.command("checkout")
def offline_checkout(
    ctx: typer.Context,
    project: str,
    user: str = typer.Option(..., "--user", help="Whose work it is: the claims and the bundle's login are theirs."),
    count: int = typer.Option(..., "--count", min=1, help="How many items to claim."),
    out: Path = typer.Option(..., "--out", help="The bundle file to write (FILE.annot)."),
) -> None:
    """Claim items for a user with the project's offline lease and write them to one bundle."""
    from annotator.core.offline import checkout

    db = open_db(ctx)
    try:
        with _bar() as bar:
            task = bar.add_task("claiming and writing the bundle", total=count)
            report = checkout(db, acting_user(ctx), project, user, count, out,
                              progress=lambda done, total: bar.update(task, completed=done, total=total))
    finally:
        db.dispose()
    size = out.stat().st_size / 1e6
    console.print(f"Checked out {report.items} item(s) for {user} to {out} ({size:.1f} MB, "
                  f"{report.media_files} media file(s)); the lease runs until {report.lease_until:%Y-%m-%d %H:%M} UTC.")


@offline_app.command("checkin")
def offline_checkin(
    ctx: typer.Context,
    bundle: Path,
    release_unfinished: bool = typer.Option(False, "--release-unfinished",
                                            help="Give the items not answered back to the queue (drafts are kept)."),
) -> None:
    """Submit the bundle's answers and save its drafts. Safe to repeat: a second check-in changes nothing."""
    from annotator.core.offline import checkin

    db = open_db(ctx)
    try:
        report = checkin(db, acting_user(ctx), bundle, release_unfinished=release_unfinished)
    finally:
        db.dispose()
    console.print(f"{bundle} ({report.user}): {report.summary()}")
    for reason in report.conflict_reasons:
        console.print(f"  conflict: {reason}", highlight=False)


@offline_app.command("list")
def offline_list(ctx: typer.Context, project: Optional[str] = typer.Argument(None)) -> None:
    """The checkouts handed out, and whether they came back."""
    from sqlalchemy import select

    from annotator.core.projects import get_project
    from annotator.db.models import OfflineBundle, Project, User

    with reading(ctx) as s:
        query = (select(OfflineBundle, User.name, Project.name).join(User, User.id == OfflineBundle.user_id)
                 .join(Project, Project.id == OfflineBundle.project_id).order_by(OfflineBundle.created_at))
        if project:
            query = query.where(OfflineBundle.project_id == get_project(s, project).id)
        table = Table("user", "project", "items", "checked out", "lease until", "state", "bundle")
        for b, user, name in s.execute(query):
            state = ("revoked" if b.revoked_at else "checked in" if b.checked_in_at else "out")
            table.add_row(user, name, str(b.item_count), f"{b.created_at:%Y-%m-%d %H:%M}",
                          f"{b.lease_until:%Y-%m-%d %H:%M}", state, b.id)
    console.print(table)


@offline_app.command("revoke")
def offline_revoke(ctx: typer.Context, bundle_id: str) -> None:
    """Take a checkout back (a lost laptop): its open claims expire and go back to the queue."""
    from annotator.core.offline import revoke

    with writing(ctx) as s:
        n = revoke(s, acting_user(ctx), bundle_id)
    console.print(f"Revoked {bundle_id}: {n} claim(s) expired. Work from it that still arrives becomes a conflict.")


@conflict_app.command("list")
def conflict_list(ctx: typer.Context, project: Optional[str] = typer.Argument(None),
                  all_: bool = typer.Option(False, "--all", help="Resolved ones too.")) -> None:
    from annotator.core.conflicts import list_conflicts
    from annotator.core.projects import get_project

    with reading(ctx) as s:
        pid = get_project(s, project).id if project else None
        rows = list_conflicts(s, acting_user(ctx), project_id=pid, open_only=not all_)
    table = Table("id", "project", "item", "user", "reason", "answer", "resolution")
    for r in rows:
        table.add_row(str(r.id), r.project, r.external_id, r.user, r.reason, json.dumps(r.answer)[:60], r.resolution or "")
    console.print(table)


@conflict_app.command("accept")
def conflict_accept(ctx: typer.Context, conflict_id: int, comment: str = typer.Option("", "--comment")) -> None:
    """Take the answer after all."""
    from annotator.core.conflicts import accept_conflict

    with writing(ctx) as s:
        outcome = accept_conflict(s, acting_user(ctx), conflict_id, comment)
    console.print(f"Conflict {conflict_id}: {outcome}.")


@conflict_app.command("dismiss")
def conflict_dismiss(ctx: typer.Context, conflict_id: int, comment: str = typer.Option(..., "--comment", help="Why it is set aside.")) -> None:
    from annotator.core.conflicts import dismiss_conflict

    with writing(ctx) as s:
        dismiss_conflict(s, acting_user(ctx), conflict_id, comment)
    console.print(f"Conflict {conflict_id} dismissed.")


@item_app.command("edit")
def item_edit(ctx: typer.Context, project: str, external_id: str,
              payload: str = typer.Option(..., "--payload", help='The new payload, as JSON: \'{"text": "…"}\'.')) -> None:
    """Replace an item's payload. Offline work on the older version comes back as a conflict."""
    from annotator.core.items import edit_item

    try:
        value = json.loads(payload)
    except json.JSONDecodeError as exc:
        raise AnnotatorError(f"--payload is not valid JSON: {exc.msg} (column {exc.colno}).") from None
    if not isinstance(value, dict):
        raise AnnotatorError("--payload must be a JSON object.")
    with writing(ctx) as s:
        version = edit_item(s, acting_user(ctx), project, external_id, value)
    console.print(f"Item {external_id} is now at version {version}.")
