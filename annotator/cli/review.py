"""`annotator review …`: a lead's decisions on handed-in work."""

from __future__ import annotations

from typing import Optional

import typer
from rich.table import Table

from annotator.cli.common import (acting_user, console, pct, writing)

app = typer.Typer(help="Review submitted work.", no_args_is_help=True)


@app.command("list")
def review_list(
    ctx: typer.Context,
    project: Optional[str] = typer.Argument(None),
    user: Optional[str] = typer.Option(None, "--user", help="Only this annotator's work."),
    status: str = typer.Option("submitted", "--status", help="Comma-separated: submitted, approved, rejected."),
    sort: str = typer.Option("submitted_at", "--sort", help="submitted_at or gold_score"),
    limit: int = typer.Option(50, "--limit"),
) -> None:
    """Submitted work waiting for a decision (oldest first)."""
    from annotator.core.quality import score_pending_gold
    from annotator.core.review import auto_approve, review_queue

    with writing(ctx) as s:
        score_pending_gold(s, acting_user(ctx), project)  # a team database's gold waits for a lead's scoring
        auto_approve(s, acting_user(ctx), project=project)
        page = review_queue(s, acting_user(ctx), project=project, annotator=user, statuses=status.split(","), sort=sort, limit=limit)
    table = Table("id", "project", "item", "annotator", "status", "submitted", "gold", "seconds")
    for r in page.rows:
        table.add_row(str(r.assignment_id), r.project, r.external_id, r.annotator, r.status,
                      f"{r.submitted_at:%Y-%m-%d %H:%M}" if r.submitted_at else "", pct(r.gold_score), f"{r.active_seconds:.0f}")
    console.print(table)


@app.command("approve")
def review_approve(ctx: typer.Context, assignment_ids: list[int], comment: str = typer.Option("", "--comment")) -> None:
    """Approve submitted work."""
    from annotator.core.review import approve, bulk_approve

    with writing(ctx) as s:
        if len(assignment_ids) == 1:
            approve(s, acting_user(ctx), assignment_ids[0], comment)
            done = 1
        else:
            done = bulk_approve(s, acting_user(ctx), assignment_ids)
    console.print(f"Approved {done}.")


@app.command("reject")
def review_reject(ctx: typer.Context, assignment_id: int, comment: str = typer.Option(..., "--comment", help="What was wrong (the annotator sees it).")) -> None:
    """Reject work; its slot reopens for someone else."""
    from annotator.core.review import reject

    with writing(ctx) as s:
        reject(s, acting_user(ctx), assignment_id, comment)
    console.print(f"Rejected {assignment_id}; the item is open again.")


@app.command("auto-approve")
def review_auto_approve(ctx: typer.Context, project: Optional[str] = typer.Argument(None)) -> None:
    """Approve work left unreviewed past its project's auto-approve delay."""
    from annotator.core.review import auto_approve

    with writing(ctx) as s:
        n = auto_approve(s, acting_user(ctx), project=project)
    console.print(f"Auto-approved {n} assignment(s).")
