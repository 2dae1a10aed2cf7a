"""The `annotator` command's entry point. Opening the desktop app (`annotator`, `annotator gui`,
with or without `--db URL`) goes straight to the window; everything else goes to the command
line (Typer and rich), whose import would come before the login window's first paint."""

from __future__ import annotations

import sys


def _gui_database(args: list[str]) -> tuple[bool, str | None]:
    """(True, the --db value or None) when these arguments only open the app."""
    db = None
    rest = list(args)
    if len(rest) >= 2 and rest[0] == "--db":
        db, rest = rest[1], rest[2:]
    elif rest and rest[0].startswith("--db="):
        db, rest = rest[0].split("=", 1)[1], rest[1:]
    return rest in ([], ["gui"]), db


def main() -> None:
    only_gui, db = _gui_database(sys.argv[1:])
    if only_gui:
        from importlib.util import find_spec

        if find_spec("annotator.ui.app") is not None:
            from annotator.config import resolve_database_url
            from annotator.ui.app import run

            sys.exit(run(resolve_database_url(db)))
    from annotator.cli import main as cli_main

    cli_main()
