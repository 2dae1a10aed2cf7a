"""`annotator project …`: creating and listing projects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from annotator.cli.common import (acting_user, console, reading, writing)
from annotator.errors import AnnotatorError

app = typer.Typer(help="Projects.", no_args_is_help=True)


@app.command("create")
def project_create(
    ctx: typer.Context,
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
    with writing(ctx) as s:
        info = create_project(s, acting_user(ctx), spec)
    console.print(f"Created project {info.name} ({info.kind}, overlap {info.overlap}, gold rate {info.gold_rate}).")


@app.command("list")
def project_list(ctx: typer.Context) -> None:
    """List the projects."""
    from annotator.core.projects import list_projects

    with reading(ctx) as s:
        rows = list_projects(s, acting_user(ctx))
    table = Table("name", "kind", "items", "overlap", "gold rate", "review")
    for p in rows:
        table.add_row(p.name, p.kind, str(p.item_count), str(p.overlap), f"{p.gold_rate:g}", p.review_policy)
    console.print(table)


@app.command("show")
def project_show(ctx: typer.Context, project: str) -> None:
    """Show a project's settings as JSON."""
    from dataclasses import asdict

    from annotator.core.projects import get_project, project_info

    with reading(ctx) as s:
        info = project_info(get_project(s, project))
    console.print_json(json.dumps(asdict(info), default=str))
