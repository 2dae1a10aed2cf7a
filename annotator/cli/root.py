"""The commands on `annotator` itself: the app, the demo, the kinds, aggregation, agreement, statistics and predictions."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from annotator.cli.common import acting_user, console, database_url, err, gui_available, invocation, pct, reading, writing

app = typer.Typer()  # merged into the root: its commands are `annotator gui`, `annotator demo`…


@app.command()
def gui(ctx: typer.Context) -> None:
    """Open the desktop app (the default when no command is given)."""
    if not gui_available():
        err.print("The desktop app is not part of this build yet; `annotator --help` lists what the command line does.")
        raise typer.Exit(1)
    from annotator.ui.app import run

    raise typer.Exit(run(database_url(ctx)))




@app.command("about")
def about(ctx: typer.Context) -> None:
    """This installation: version, folders, default database, and whether audio can play."""
    import annotator
    from annotator.config import cache_dir, data_dir, default_database_url
    from annotator.ui.playback import playback_status  # no Qt in it

    for line in (f"Annotator {annotator.__version__}", f"Data folder: {data_dir()}",
                 f"Media cache: {cache_dir() / 'media'}", f"Default database: {default_database_url()}",
                 f"Audio playback: {playback_status()}"):
        console.print(line, soft_wrap=True, markup=False, highlight=False)  # paths whole, as they are


@app.command("kinds")
def kinds(ctx: typer.Context) -> None:
    """List the task kinds, and any plugin that failed to load."""
    from annotator.tasks import registry

    for name, kind in sorted(registry.all_kinds().items()):
        console.print(f"{name:20} {kind.title}")
    for name, reason in registry.load_errors.items():
        console.print(f"[yellow]{name:20} skipped: {reason}[/yellow]")


@app.command("aggregate")
def aggregate_cmd(ctx: typer.Context, project: str, method: str = typer.Option("majority", "--method", help="majority or dawid-skene")) -> None:
    """Compute and store one consensus answer per item, with a confidence."""
    from annotator.core.aggregate import aggregate_project

    with writing(ctx) as s:
        report = aggregate_project(s, acting_user(ctx), project, method)
    console.print(f"{report.method}: consensus for {report.items} item(s) of {report.project}, mean confidence {report.mean_confidence:.2f}.")


@app.command("agreement")
def agreement_cmd(ctx: typer.Context, project: str) -> None:
    """Agreement between annotators: per project, per label and per annotator."""
    from annotator.core.agreement import project_agreement

    with reading(ctx) as s:
        a = project_agreement(s, acting_user(ctx), project)
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
def stats_cmd(ctx: typer.Context, project: str) -> None:
    """Per annotator: items, active hours, items per hour, gold accuracy, approval rates, agreement with consensus."""
    from annotator.core.review import auto_approve
    from annotator.core.stats import project_stats

    with writing(ctx) as s:
        auto_approve(s, acting_user(ctx), project=project)
        st = project_stats(s, acting_user(ctx), project)
    console.print(f"{st.project}: {st.finished_items}/{st.items} items finished ({st.progress:.0%})")
    table = Table("annotator", "state", "items", "active h", "items/h", "gold (last 20)", "gold (all)",
                  "approved", "30 d", "7 d", "vs consensus")
    for a in st.annotators:
        table.add_row(a.user, a.state, str(a.done), f"{a.active_hours:.2f}", "-" if a.items_per_hour is None else f"{a.items_per_hour:.0f}",
                      pct(a.gold_accuracy), pct(a.gold_accuracy_lifetime), pct(a.approval_lifetime),
                      pct(a.approval_30_days), pct(a.approval_7_days), pct(a.agreement_with_consensus))
    console.print(table)
    if st.per_day:
        days = Table("day", "answers")
        for day, n in st.per_day[-14:]:
            days.add_row(day, str(n))
        console.print(days)


@app.command("import-predictions")
def import_predictions_cmd(
    ctx: typer.Context,
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

    with writing(ctx) as s:
        report = import_predictions(s, acting_user(ctx), project, source, auto_accept_above=auto_accept_above,
                                    spot_check_fraction=spot_check)
    console.print(
        f"Updated {report.updated} item(s); {report.auto_accepted} accepted from the model, "
        f"{report.spot_checks} kept for a human spot check."
    )


@app.command("demo")
def demo(ctx: typer.Context, no_gui: bool = typer.Option(False, "--no-gui", help="Build the demo database and stop.")) -> None:
    """Create (or reuse) the demo database with three projects, and open the app on it."""
    from annotator.core.demo import build_demo, demo_database_url

    url = invocation(ctx).db and database_url(ctx) or demo_database_url()
    invocation(ctx).db = url
    with writing(ctx, upgrade=True) as s:
        summary = build_demo(s)
    console.print(summary.describe(url))
    if not no_gui and gui_available():
        gui(ctx)
