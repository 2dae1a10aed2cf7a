"""`annotator import` and `annotator export`: data in and out, in the formats of sources.py and
export_formats.py. Assembled into the command by annotator.cli."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer

from annotator.cli.common import acting_user, console, open_db, progress_bar, writing


app = typer.Typer()  # merged into the root: `annotator import` and `annotator export`


@contextmanager
def _database(ctx: typer.Context):
    db = open_db(ctx)
    try:
        yield db
    finally:
        db.dispose()


@app.command("import")
def import_cmd(
    ctx: typer.Context,
    project: str,
    source: Path = typer.Argument(..., help="A folder of images or audio, a Pascal VOC or YOLO folder, a COCO .json, "
                                            "a .csv or a .jsonl file."),
    gold: bool = typer.Option(False, "--gold", help="The answers (or boxes) in the source are gold answers "
                                                    "(the same as --as gold)."),
    take: Optional[str] = typer.Option(None, "--as", help="What the source's answers become: predictions (for "
                                                          "annotators to check; the default), gold, or answers (a "
                                                          "Label Studio export's annotations, as its annotators' "
                                                          "submitted work)"),
    annotators: list[str] = typer.Option([], "--annotator", help="--as answers: who a source's annotator is here, "
                                                                 "as hakan@example.com=hakan (repeat it)"),
    fmt: Optional[str] = typer.Option(None, "--format", help="folder, voc, yolo, coco, labelstudio, subtitles, "
                                                             "csv, jsonl, mturk-input or mturk-results; detected when "
                                                             "unambiguous"),
    images: Optional[Path] = typer.Option(None, "--images", help="Where a COCO file's images are, if not beside it."),
    mapping: list[str] = typer.Option([], "--map", help="An MTurk batch input CSV: a payload field and the column "
                                                        "it comes from, as image=image_url (repeat it)"),
    template: Optional[Path] = typer.Option(None, "--template", help="An MTurk HIT layout (.html): the project's "
                                                                     "instructions, its ${var} filled per item"),
) -> None:
    """Import items into a project: all of them or, on any error, none. The boxes of a COCO, YOLO
    or VOC source come in as boxes for the annotators to check, or as gold with --gold. An MTurk
    batch results CSV with Approve or Reject filled in comes in as review decisions."""
    from annotator.core.importing import import_into
    from annotator.formats.mturk import looks_like_results

    if fmt == "mturk-results" or (fmt is None and looks_like_results(source)):
        from annotator.core.mturk_results import apply_mturk_decisions

        with writing(ctx) as s:
            done = apply_mturk_decisions(s, acting_user(ctx), project, source)
        console.print(f"Approved {done.approved} and rejected {done.rejected} assignment(s) of {project}; "
                      f"{done.unchanged} already so.")
        return

    from annotator.formats.mturk import parse_mapping

    from annotator.core.imported_answers import parse_annotators

    if take not in (None, "predictions", "gold", "answers"):
        raise typer.BadParameter(f"--as takes predictions, gold or answers, not {take!r}")
    gold = gold or take == "gold"
    fields, who = parse_mapping(mapping, str(source)), parse_annotators(annotators, str(source))
    layout = _read_template(template) if template else None  # read before anything is written
    with progress_bar("checking") as progress, _database(ctx) as db:
        report = import_into(db, acting_user(ctx), project, source, gold=gold, progress=progress, fmt=fmt, images=images,
                             mapping=fields or None, answers=take == "answers", annotators=who)
        if layout is not None:
            from annotator.core.projects import update_project

            with db.write() as s:
                update_project(s, acting_user(ctx), project, instructions=layout)
    console.print(
        f"Imported {report.added} item(s) into {report.project}"
        + (" as gold" if gold else "")
        + (f", with {report.answers} answer(s) by their annotators for review" if report.answers else "")
        + f"; {report.already_present} already present."
    )
    for note in report.notes:
        console.print(f"Note: {note}.")
    if template:
        console.print(f"The HIT layout {template.name} is {report.project}'s instructions; each item fills its ${{…}}.")


def _read_template(path: Path) -> str:
    from annotator.errors import BadInput
    from annotator.formats.text_io import read_utf8

    text = read_utf8(path)
    if not text.strip():
        raise BadInput(str(path), "the HIT layout is empty")
    return text


@app.command("export")
def export_cmd(
    ctx: typer.Context,
    project: str,
    out: Path,
    fmt: str = typer.Option("jsonl", "--format", help="jsonl, csv, mturk (a batch results CSV), coco or "
                                                      "labelstudio (a .json file), yolo or voc (a folder), or srt or vtt (a "
                                                      "folder, a file per clip)"),
    holds: str = typer.Option("best", "--holds", help="coco, yolo, srt, vtt: best (the approved answer, or else "
                                                      "the consensus), approved, consensus, all, or gold"),
    val_fraction: float = typer.Option(0.2, "--val-fraction", help="yolo: the share of images in the val split"),
    seed: int = typer.Option(0, "--seed", help="yolo: the split's seed; the same seed, the same split"),
) -> None:
    """Export results: jsonl or csv with every answer, review state and consensus; coco or yolo
    with the boxes a detector trains on."""
    from annotator.core.export_formats import FORMATS, export_as

    if fmt in FORMATS:
        with progress_bar("exporting") as progress, _database(ctx) as db:
            count = export_as(db, acting_user(ctx), project, out, fmt, holds=holds, val_fraction=val_fraction,
                                 seed=seed, progress=progress)
    elif fmt == "mturk":
        from annotator.core.mturk_results import export_mturk_results

        with progress_bar("exporting") as progress, _database(ctx) as db:
            count = export_mturk_results(db, acting_user(ctx), project, out, progress=progress)
    else:
        from annotator.core.exporting import export_from

        with _database(ctx) as db:
            count = export_from(db, acting_user(ctx), project, out, fmt)
    console.print(f"Exported {count} item(s) to {out}.")
