"""`annotator gold …`: scoring the gold answers a team database keeps unscored (docs/adr/0009).
Assembled into the command by annotator.cli."""

from __future__ import annotations

from typing import Optional

import typer

from annotator.cli.common import acting_user, open_db, writing, console

gold_app = typer.Typer(help="Gold answers: scoring them on a team database.", no_args_is_help=True)

CHANNEL = "annotator_gold_submitted"  # queue_store_answer notifies it for each gold answer


@gold_app.command("score")
def gold_score(ctx: typer.Context, project: Optional[str] = typer.Argument(None, help="Only this project (default: all you lead).")) -> None:
    """Score the gold answers handed in since the last scoring, and pause whoever falls below a
    project's minimum. A lead's login; the review window does it too when it loads."""
    from annotator.core.quality import score_pending_gold

    with writing(ctx) as s:
        n = score_pending_gold(s, acting_user(ctx), project)
    console.print(f"Scored {n} gold answer{'s' if n != 1 else ''}.")


@gold_app.command("watch")
def gold_watch(
    ctx: typer.Context,
    once_idle: bool = typer.Option(False, "--until-idle", help="Stop when nothing has come in for 5 seconds."),
) -> None:
    """Score gold answers as they come in, until Ctrl+C: run it on a lead's login beside the
    team database, and gold accuracy and its pauses are as prompt as on a single desk."""
    from annotator.core.quality import score_pending_gold

    db = open_db(ctx)
    actor = acting_user(ctx)
    listener = db.engine.raw_connection()
    try:
        conn = listener.driver_connection
        conn.autocommit = True
        conn.execute(f"LISTEN {CHANNEL}")
        console.print(f"Scoring gold answers on {db.describe()} as they come in (Ctrl+C stops).")
        while True:
            with db.write() as s:  # what came in before, or while this one scored
                n = score_pending_gold(s, actor)
            if n:
                console.print(f"Scored {n} gold answer{'s' if n != 1 else ''}.")
            woken = list(conn.notifies(timeout=5.0, stop_after=1))  # a gold answer came in, or 5 s went by
            if not woken and once_idle:
                return
    except KeyboardInterrupt:
        pass
    finally:
        listener.close()
        db.dispose()
