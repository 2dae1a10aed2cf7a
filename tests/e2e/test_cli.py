"""The `annotator` command as a user runs it: a real process, a real database file."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.helpers import shared

ANNOTATOR = str(Path(sys.executable).with_name("annotator"))


def run(*args, db=None, stdin=None, ok=True, env_extra=None):
    env = {**os.environ, "COLUMNS": "200", **(env_extra or {})}
    cmd = [ANNOTATOR] + (["--db", str(db)] if db else []) + list(args)
    result = subprocess.run(cmd, input=stdin, capture_output=True, text=True, env=env, timeout=120)
    if ok:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_help_lists_the_commands():
    out = run("--help").stdout
    commands_panel = out.split("Commands", 1)[1]
    listed = re.findall(r"^│ ([a-z][a-z-]*) ", commands_panel, re.M)  # the first word of each row
    expected = {"gui", "kinds", "import", "export", "aggregate", "agreement", "stats", "import-predictions", "demo",
                "db", "user", "project", "review", "member", "queue", "offline", "conflict", "item", "media"}
    assert expected <= set(listed), sorted(expected - set(listed))


def test_users_projects_import_and_export_through_the_cli(tmp_path):
    db = tmp_path / "team.sqlite3"
    run("db", "upgrade", db=db)
    run("user", "add", "lena", "--role", "lead", "--password-stdin", db=db, stdin="s3cret-pass\n")
    run("user", "add", "omar", "--password-stdin", db=db, stdin="another1\n")
    run("user", "set-role", "omar", "lead", db=db)
    run("user", "deactivate", "omar", db=db)
    users = run("user", "list", db=db).stdout
    assert "lena" in users and "omar" in users and "no" in users

    labels = ",".join(l for l in shared("voc-sample", "class_names.txt").read_text().split("\n")[1:] if l)
    run("project", "create", "voc", "--kind", "image_boxes", "--labels", labels, "--overlap", "3", "--gold-rate", "0.1", db=db)
    out = run("import", "voc", str(shared("voc-sample")), "--gold", db=db).stdout
    assert "Imported 3 item(s) into voc as gold" in out
    assert "Imported 0 item(s)" in run("import", "voc", str(shared("voc-sample")), "--gold", db=db).stdout
    listing = run("project", "list", db=db).stdout
    assert "voc" in listing and "image_boxes" in listing

    config = tmp_path / "project.json"
    config.write_text(json.dumps({"name": "intents", "kind": "text_categories", "config": {"labels": ["a", "b"]}, "overlap": 2}))
    run("project", "create", "--config", str(config), db=db)
    csv_file = tmp_path / "texts.csv"
    csv_file.write_text("id,text\n1,first text\n2,second text\n", encoding="utf-8")
    run("import", "intents", str(csv_file), db=db)
    run("export", "intents", str(tmp_path / "out.jsonl"), db=db)
    rows = [json.loads(l) for l in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [r["text"] for r in rows] == ["first text", "second text"]


def test_bad_input_prints_one_clear_error_and_changes_nothing(tmp_path):
    db = tmp_path / "team.sqlite3"
    run("project", "create", "t", "--kind", "text_categories", "--labels", "a,b", db=db)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{"text": oops}\n')
    result = run("import", "t", str(bad), db=db, ok=False)
    assert result.returncode == 1
    assert f"error: {bad}, line 2: invalid JSON" in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr
    assert "0" in run("project", "list", db=db).stdout


def test_a_bad_project_config_is_refused_clearly(tmp_path):
    db = tmp_path / "team.sqlite3"
    result = run("project", "create", "x", "--kind", "image_boxes", db=db, ok=False)
    assert result.returncode == 1 and "labels" in result.stderr
    result = run("project", "create", "x", "--kind", "polygons", "--labels", "a", db=db, ok=False)
    assert "Unknown task kind 'polygons'" in result.stderr


def test_demo_builds_the_demo_database_and_reuses_it(tmp_path):
    env = {"ANNOTATOR_DATA_DIR": str(tmp_path)}
    first = run("demo", "--no-gui", env_extra=env).stdout
    assert "annotator / annotator / annotator" in first
    assert "Demo: objects in photos (image_boxes)" in first
    assert (tmp_path / "demo.sqlite3").exists()
    run("demo", "--no-gui", env_extra=env)
    listing = run("project", "list", db=tmp_path / "demo.sqlite3").stdout
    assert "314" in listing and "text_categories" in listing


def test_annotator_with_no_command_opens_the_login_window(tmp_path):
    """`annotator --db FILE` (and `annotator gui`) opens the app without the command line's
    modules; the start-up probe closes it once the login window has painted."""
    db = tmp_path / "team.sqlite3"
    run("db", "upgrade", db=db)
    env = {"ANNOTATOR_STARTUP_PROBE": "1", "QT_QPA_PLATFORM": "offscreen", "ANNOTATOR_DATA_DIR": str(tmp_path)}
    for args in ((), ("gui",)):
        out = run(*args, db=db, env_extra=env)
        assert out.stdout.startswith("login-shown "), out.stdout + out.stderr
        assert "QThread" not in out.stderr  # the worker, started after the paint, was stopped


def test_about_names_this_desktops_folders_and_whether_audio_can_play(tmp_path):
    from ctypes.util import find_library

    out = run("about", env_extra={"ANNOTATOR_DATA_DIR": str(tmp_path)}).stdout
    assert f"Data folder: {tmp_path}" in out
    audio = next(line for line in out.splitlines() if line.startswith("Audio playback: "))
    if find_library("portaudio"):
        assert re.search(r"PortAudio V\d+\.\d+", audio), audio
    else:  # a desktop without it is told what to install
        assert "apt-get install libportaudio2" in audio, audio
