"""`annotator queue …`: where a project's queue stands."""

from __future__ import annotations


import typer
from rich.table import Table

from annotator.cli.common import (acting_user, console, reading)

app = typer.Typer(help="The work queue.", no_args_is_help=True)


@app.command("status")
def queue_status_cmd(ctx: typer.Context, project: str) -> None:
    """Open, claimed, submitted, approved and rejected counts, and who is working."""
    from annotator.core.stats import queue_status

    with reading(ctx) as s:
        st = queue_status(s, acting_user(ctx), project)
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
