"""Third-party kinds load from the `annotator.tasks` entry points of really installed packages;
a broken plugin is logged and skipped."""

import subprocess
import sys
from pathlib import Path

import pytest

PLUGINS = Path(__file__).resolve().parent.parent / "plugins"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    import shutil

    target = tmp_path_factory.mktemp("site")
    sources = tmp_path_factory.mktemp("plugin-sources")
    for name in ("sample_plugin", "broken_plugin"):
        shutil.copytree(PLUGINS / name, sources / name)  # the build leaves files; not in the repository
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
             "--disable-pip-version-check", "--target", str(target), str(sources / name)],
            check=True, capture_output=True,
        )
    return target


def run_with(site, code):
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)


def test_an_installed_plugin_kind_is_registered_beside_the_builtins(site):
    out = run_with(site, "from annotator.tasks import registry; print(','.join(registry.names()))")
    assert out.stdout.strip().split(",") == ["image_boxes", "text_categories", "transcription", "yes_no"]


def test_a_broken_plugin_is_logged_and_skipped(site):
    out = run_with(
        site,
        "import logging; logging.basicConfig(level=logging.WARNING)\n"
        "from annotator.tasks import registry\n"
        "print(sorted(registry.names())); print(sorted(registry.load_errors))\n"
        "print(registry.get('yes_no').score({}, {'value': True}, {'value': True}))",
    )
    lines = out.stdout.strip().splitlines()
    assert "yes_no" in lines[0]
    assert lines[1] == "['broken', 'not_a_kind']"
    assert lines[2] == "1.0"
    assert "Skipping task plugin 'broken'" in out.stderr
