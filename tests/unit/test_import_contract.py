"""The import-linter contracts in pyproject.toml: the core stays Qt-free, and its modules form
layers with no import circle."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent


def test_core_does_not_import_qt_and_has_no_import_circle():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def test_the_core_imports_without_qt_installed_in_sys_modules():
    code = (
        "import sys, annotator.cli, annotator.core.importing, annotator.core.exporting, annotator.tasks.registry\n"
        "from annotator.tasks import registry; registry.all_kinds()\n"
        "assert not [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'sounddevice'))], 'Qt was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
