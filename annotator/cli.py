"""The `annotator` command. On a team database (PostgreSQL) it acts as the connected login, and
the server refuses what that login may not do (docs/adr/0009); the password comes from
PGPASSWORD, ~/.pgpass, or a prompt. On a SQLite file it acts as the local operator (see
core.auth.Actor): whoever can open the file owns it."""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import typer
from rich.console import Console
from rich.table import Table

from annotator import __version__, config
from annotator.core.auth import Actor
from annotator.errors import AnnotatorError

app = typer.Typer(no_args_is_help=False, add_completion=False, help="Annotator: an in-house annotation workstation.")
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
project_app = typer.Typer(help="Projects.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(project_app, name="project")

console = Console()
err = Console(stderr=True)
_state: dict = {"db": None, "actor": None}


def open_db(upgrade: bool | None = None):
    """The database, opened as whoever the URL, PGPASSWORD or ~/.pgpass say; on a team database
    whose server wants a password none of them gave, the password is asked for."""
    from annotator.db import open_database
    from annotator.db.logins import is_team_url, with_login

    url = config.resolve_database_url(_state["db"])
    if not is_team_url(url):
        return open_database(url, upgrade=upgrade)
    from sqlalchemy.engine import make_url

    from annotator.core.auth import open_team_database

    user = make_url(url).username or os.environ.get("PGUSER") or _os_user()
    try:
        db, _state["actor"] = open_team_database(url, user, owner_may_operate=True)
    except AnnotatorError as exc:
        # No password given, or a wrong one: at a terminal, ask (login_error words both alike).
        if not ("Wrong user name" in str(exc) and sys.stdin.isatty() and make_url(url).password is None):
            raise
        password = typer.prompt(f"Password of {user}", hide_input=True, err=True)
        db, _state["actor"] = open_team_database(with_login(url, user, password), user, owner_may_operate=True)
    return db


def _os_user() -> str:
    import getpass

    return getpass.getuser()


@contextmanager
def writing(upgrade: bool | None = None) -> Iterator:
    db = open_db(upgrade)
    try:
        with db.write() as session:
            yield session
    finally:
        db.dispose()


@contextmanager
def reading() -> Iterator:
    db = open_db()
    try:
        with db.read() as session:
            yield session
    finally:
        db.dispose()


def acting_user() -> Actor:
    """Who this command acts as: the login of the team database opened last, or on SQLite the local operator."""
    return _state["actor"] or Actor.local_operator()


@app.callback(invoke_without_command=True)
def _main(
    ctx: typer.Context,
    db: Optional[str] = typer.Option(
        None, "--db", help="Database URL or SQLite/bundle path. Default: $ANNOTATOR_DATABASE_URL, then a file in the user data folder."
    ),
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    _state["db"] = db
    if version:
        console.print(f"annotator {__version__}")
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        gui()


@app.command()
def gui() -> None:
    """Open the desktop app (the default when no command is given)."""
    if not _gui_available():
        err.print("The desktop app is not part of this build yet; `annotator --help` lists what the command line does.")
        raise typer.Exit(1)
    from annotator.ui.app import run

    raise typer.Exit(run(config.resolve_database_url(_state["db"])))


def _gui_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("annotator.ui.app") is not None


# ---- db ---------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema up to date (creates it on an empty database)."""
    from annotator.db import Database, migrate

    db = Database(config.resolve_database_url(_state["db"]))
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


@db_app.command("current")
def db_current() -> None:
    """Show the schema revision of the database and of this program."""
    from annotator.db import Database, migrate

    db = Database(config.resolve_database_url(_state["db"]))
    try:
        console.print(f"database: {db.describe()}\nrevision: {migrate.current_revision(db.engine) or 'empty'}\nprogram:  {migrate.head_revision()}")
    finally:
        db.dispose()


# ---- projects ---------------------------------------------------------------------------


@project_app.command("create")
def project_create(
    name: Optional[str] = typer.Argument(None, help="Project name (or give it in --config)."),
    kind: Optional[str] = typer.Option(None, "--kind", help="image_boxes, text_categories, transcription, or a plugin's kind"),
    labels: Optional[str] = typer.Option(None, "--labels", help="Comma-separated labels, e.g. cat,dog"),
    multi: bool = typer.Option(False, "--multi", help="Text categories: allow several labels per item."),
    overlap: Optional[int] = typer.Option(None, "--overlap", help="Answers wanted per item."),
    gold_rate: Optional[float] = typer.Option(None, "--gold-rate", help="Fraction of claims that are gold items."),
    lease_seconds: Optional[int] = typer.Option(None, "--lease-seconds", help="Time limit for one item."),
    review_policy: Optional[str] = typer.Option(None, "--review-policy", help="none, sample or all"),
    review_sample: Optional[float] = typer.Option(None, "--review-sample", help="Fraction reviewed with 'sample'."),
    min_gold_accuracy: Optional[float] = typer.Option(None, "--min-gold-accuracy"),
    min_approval_rate: Optional[float] = typer.Option(None, "--min-approval-rate"),
    media_root: Optional[Path] = typer.Option(None, "--media-root", help="Folder that media paths are relative to."),
    media_store: Optional[str] = typer.Option(None, "--media-store",
                                              help="s3://bucket/prefix or a shared folder: import uploads the media there."),
    instructions: Optional[str] = typer.Option(None, "--instructions"),
    config_file: Optional[Path] = typer.Option(None, "--config", help="A JSON file with the project's fields."),
) -> None:
    """Create a project. The task kind checks its configuration."""
    from annotator.core.projects import ProjectSpec, create_project
    from annotator.formats.text_io import read_utf8

    data: dict = {}
    if config_file:
        try:
            data = json.loads(read_utf8(config_file))
        except json.JSONDecodeError as exc:
            raise AnnotatorError(f"{config_file}, line {exc.lineno}: invalid JSON ({exc.msg})") from None
        if not isinstance(data, dict):
            raise AnnotatorError(f"{config_file}: expected a JSON object with the project's fields")
    overrides = {
        "name": name, "kind": kind, "overlap": overlap, "gold_rate": gold_rate, "lease_seconds": lease_seconds,
        "review_policy": review_policy, "review_sample": review_sample, "min_gold_accuracy": min_gold_accuracy,
        "min_approval_rate": min_approval_rate, "instructions": instructions,
        "media_root": str(media_root.resolve()) if media_root else None, "media_store": media_store,
    }
    data.update({k: v for k, v in overrides.items() if v is not None})
    if labels is not None or multi:
        data["config"] = dict(data.get("config", {}))
        if labels is not None:
            data["config"]["labels"] = [label.strip() for label in labels.split(",") if label.strip()]
        if multi:
            data["config"]["multi"] = True
    spec = ProjectSpec.from_dict(data, source=str(config_file) if config_file else "the options")
    with writing() as s:
        info = create_project(s, acting_user(), spec)
    console.print(f"Created project {info.name} ({info.kind}, overlap {info.overlap}, gold rate {info.gold_rate}).")


@project_app.command("list")
def project_list() -> None:
    """List the projects."""
    from annotator.core.projects import list_projects

    with reading() as s:
        rows = list_projects(s, acting_user())
    table = Table("name", "kind", "items", "overlap", "gold rate", "review")
    for p in rows:
        table.add_row(p.name, p.kind, str(p.item_count), str(p.overlap), f"{p.gold_rate:g}", p.review_policy)
    console.print(table)


@project_app.command("show")
def project_show(project: str) -> None:
    """Show a project's settings as JSON."""
    from dataclasses import asdict

    from annotator.core.projects import get_project, project_info

    with reading() as s:
        info = project_info(get_project(s, project))
    console.print_json(json.dumps(asdict(info), default=str))


@app.command("kinds")
def kinds() -> None:
    """List the task kinds, and any plugin that failed to load."""
    from annotator.tasks import registry

    for name, kind in sorted(registry.all_kinds().items()):
        console.print(f"{name:20} {kind.title}")
    for name, reason in registry.load_errors.items():
        console.print(f"[yellow]{name:20} skipped: {reason}[/yellow]")


# ---- import / export --------------------------------------------------------------------


# ---- review, quality ---------------------------------------------------------------------

review_app = typer.Typer(help="Review submitted work.", no_args_is_help=True)
member_app = typer.Typer(help="Who works on a project, and their standing there: added, paused, reinstated.",
                         no_args_is_help=True)
app.add_typer(review_app, name="review")
app.add_typer(member_app, name="member")


def _pct(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.0%}"


@review_app.command("list")
def review_list(
    project: Optional[str] = typer.Argument(None),
    user: Optional[str] = typer.Option(None, "--user", help="Only this annotator's work."),
    status: str = typer.Option("submitted", "--status", help="Comma-separated: submitted, approved, rejected."),
    sort: str = typer.Option("submitted_at", "--sort", help="submitted_at or gold_score"),
    limit: int = typer.Option(50, "--limit"),
) -> None:
    """Submitted work waiting for a decision (oldest first)."""
    from annotator.core.quality import score_pending_gold
    from annotator.core.review import auto_approve, review_queue

    with writing() as s:
        score_pending_gold(s, acting_user(), project)  # a team database's gold waits for a lead's scoring
        auto_approve(s, acting_user(), project=project)
        page = review_queue(s, acting_user(), project=project, annotator=user, statuses=status.split(","), sort=sort, limit=limit)
    table = Table("id", "project", "item", "annotator", "status", "submitted", "gold", "seconds")
    for r in page.rows:
        table.add_row(str(r.assignment_id), r.project, r.external_id, r.annotator, r.status,
                      f"{r.submitted_at:%Y-%m-%d %H:%M}" if r.submitted_at else "", _pct(r.gold_score), f"{r.active_seconds:.0f}")
    console.print(table)


@review_app.command("approve")
def review_approve(assignment_ids: list[int], comment: str = typer.Option("", "--comment")) -> None:
    """Approve submitted work."""
    from annotator.core.review import approve, bulk_approve

    with writing() as s:
        if len(assignment_ids) == 1:
            approve(s, acting_user(), assignment_ids[0], comment)
            done = 1
        else:
            done = bulk_approve(s, acting_user(), assignment_ids)
    console.print(f"Approved {done}.")


@review_app.command("reject")
def review_reject(assignment_id: int, comment: str = typer.Option(..., "--comment", help="What was wrong (the annotator sees it).")) -> None:
    """Reject work; its slot reopens for someone else."""
    from annotator.core.review import reject

    with writing() as s:
        reject(s, acting_user(), assignment_id, comment)
    console.print(f"Rejected {assignment_id}; the item is open again.")


@review_app.command("auto-approve")
def review_auto_approve(project: Optional[str] = typer.Argument(None)) -> None:
    """Approve work left unreviewed past its project's auto-approve delay."""
    from annotator.core.review import auto_approve

    with writing() as s:
        n = auto_approve(s, acting_user(), project=project)
    console.print(f"Auto-approved {n} assignment(s).")


@member_app.command("list")
def member_list(project: Optional[str] = typer.Argument(None)) -> None:
    """Paused annotators, with the reason."""
    from annotator.core.quality import paused_members

    with reading() as s:
        rows = paused_members(s, acting_user(), project)
    table = Table("user", "project", "since", "reason")
    for m in rows:
        table.add_row(m.user, m.project, f"{m.since:%Y-%m-%d %H:%M}", m.reason)
    console.print(table)


@member_app.command("add")
def member_add(user: str, project: str) -> None:
    """Make a user a member of a project: on a team database, only members claim its items, and a
    lead leads the projects they are a member of."""
    from annotator.core.members import add_member

    with writing() as s:
        added = add_member(s, acting_user(), user, project)
    console.print(f"{user} is {'now' if added else 'already'} a member of {project}.")


@member_app.command("reinstate")
def member_reinstate(user: str, project: str) -> None:
    """Let a paused annotator work on the project again."""
    from annotator.core.quality import reinstate

    with writing() as s:
        reinstate(s, acting_user(), user, project)
    console.print(f"{user} is reinstated on {project}.")


@member_app.command("pause")
def member_pause(user: str, project: str, reason: str = typer.Option(..., "--reason")) -> None:
    """Pause an annotator on a project, with a reason they will see."""
    from annotator.core.quality import pause

    with writing() as s:
        pause(s, acting_user(), user, project, reason)
    console.print(f"{user} is paused on {project}.")


@app.command("aggregate")
def aggregate_cmd(project: str, method: str = typer.Option("majority", "--method", help="majority or dawid-skene")) -> None:
    """Compute and store one consensus answer per item, with a confidence."""
    from annotator.core.aggregate import aggregate_project

    with writing() as s:
        report = aggregate_project(s, acting_user(), project, method)
    console.print(f"{report.method}: consensus for {report.items} item(s) of {report.project}, mean confidence {report.mean_confidence:.2f}.")


@app.command("agreement")
def agreement_cmd(project: str) -> None:
    """Agreement between annotators: per project, per label and per annotator."""
    from annotator.core.agreement import project_agreement

    with reading() as s:
        a = project_agreement(s, acting_user(), project)
    console.print(f"{a.project}: {a.measure} = {'-' if a.overall is None else f'{a.overall:.3f}'} over {a.items} item(s)")
    if a.per_label:
        table = Table("label", "agreement")
        for label, v in a.per_label.items():
            table.add_row(label, "-" if v is None else f"{v:.3f}")
        console.print(table)
    table = Table("annotator", "agreement with others")
    for name, v in a.per_annotator.items():
        table.add_row(name, "-" if v is None else f"{v:.3f}")
    console.print(table)


@app.command("stats")
def stats_cmd(project: str) -> None:
    """Per annotator: items, active hours, items per hour, gold accuracy, approval rates, agreement with consensus."""
    from annotator.core.review import auto_approve
    from annotator.core.stats import project_stats

    with writing() as s:
        auto_approve(s, acting_user(), project=project)
        st = project_stats(s, acting_user(), project)
    console.print(f"{st.project}: {st.finished_items}/{st.items} items finished ({st.progress:.0%})")
    table = Table("annotator", "state", "items", "active h", "items/h", "gold (last 20)", "gold (all)",
                  "approved", "30 d", "7 d", "vs consensus")
    for a in st.annotators:
        table.add_row(a.user, a.state, str(a.done), f"{a.active_hours:.2f}", "-" if a.items_per_hour is None else f"{a.items_per_hour:.0f}",
                      _pct(a.gold_accuracy), _pct(a.gold_accuracy_lifetime), _pct(a.approval_lifetime),
                      _pct(a.approval_30_days), _pct(a.approval_7_days), _pct(a.agreement_with_consensus))
    console.print(table)
    if st.per_day:
        days = Table("day", "answers")
        for day, n in st.per_day[-14:]:
            days.add_row(day, str(n))
        console.print(days)


@app.command("import-predictions")
def import_predictions_cmd(
    project: str,
    source: Path = typer.Argument(..., help='JSONL: {"external_id": ..., "prediction": {...}, "confidence": 0.93}'),
    auto_accept_above: Optional[float] = typer.Option(
        None, "--auto-accept-above", help="Mark items at or above this confidence as done by the model."
    ),
    spot_check: Optional[float] = typer.Option(
        None, "--spot-check", help="Fraction of auto-accepted items still sent to humans (default: the project's, 5%)."
    ),
) -> None:
    """Attach model predictions: uncertain items go first; confident ones can skip humans."""
    from annotator.core.predictions import import_predictions

    with writing() as s:
        report = import_predictions(s, acting_user(), project, source, auto_accept_above=auto_accept_above,
                                    spot_check_fraction=spot_check)
    console.print(
        f"Updated {report.updated} item(s); {report.auto_accepted} accepted from the model, "
        f"{report.spot_checks} kept for a human spot check."
    )


queue_app = typer.Typer(help="The work queue.", no_args_is_help=True)
app.add_typer(queue_app, name="queue")


@queue_app.command("status")
def queue_status_cmd(project: str) -> None:
    """Open, claimed, submitted, approved and rejected counts, and who is working."""
    from annotator.core.stats import queue_status

    with reading() as s:
        st = queue_status(s, acting_user(), project)
    table = Table("", "count", title=f"{st.project}")
    for label, value in (
        ("items", st.items), ("gold items", st.gold_items), ("open (need answers)", st.open_items),
        ("done by the model", st.done_by_model), ("claimed now", st.claimed), ("submitted, awaiting review", st.submitted),
        ("approved", st.approved), ("rejected", st.rejected), ("expired leases", st.expired), ("open conflicts", st.conflicts),
    ):
        table.add_row(label, str(value))
    console.print(table)
    console.print("Active annotators: " + (", ".join(st.active_annotators) or "none"))
    for warning in st.warnings:
        console.print(f"[yellow]Warning:[/yellow] {warning}")
    if st.media_faults:
        faults = Table("item", "fault", "object", "what was wrong", "reported by", "last seen", "times",
                       title=f"{len(st.media_faults)} item(s) whose media cannot be shown")
        for f in st.media_faults:
            faults.add_row(f.external_id, f.kind, f.sha256[:12], f.detail, f.reported_by,
                           f.last_seen.strftime("%Y-%m-%d %H:%M"), str(f.reports))
        console.print(faults)
        console.print(f"Re-import those items' files, then `annotator media verify {st.project}` clears the flags.")


# ---- demo -------------------------------------------------------------------------------


@app.command("demo")
def demo(no_gui: bool = typer.Option(False, "--no-gui", help="Build the demo database and stop.")) -> None:
    """Create (or reuse) the demo database with three projects, and open the app on it."""
    from annotator.core.demo import build_demo, demo_database_url

    url = _state["db"] and config.resolve_database_url(_state["db"]) or demo_database_url()
    _state["db"] = url
    with writing(upgrade=True) as s:
        summary = build_demo(s)
    console.print(summary.describe(url))
    if not no_gui and _gui_available():
        gui()


from annotator import cli_offline  # noqa: E402,F401  (registers `offline`, `conflict` and `item`)
from annotator import cli_gold  # noqa: E402,F401  (registers `gold`)
from annotator import cli_users  # noqa: E402,F401  (registers `user`)
from annotator import cli_media  # noqa: E402,F401  (registers `media`)
from annotator import cli_data  # noqa: E402,F401  (registers `import` and `export`)
from annotator import cli_pay  # noqa: E402,F401  (registers `pay`)


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


if __name__ == "__main__":
    main()
