"""The core stays Qt-free: the import-linter contract in pyproject.toml."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent


def test_core_does_not_import_qt():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_the_core_imports_without_qt_installed_in_sys_modules():
    code = (
        "import sys, annotator.cli, annotator.core.importing, annotator.core.exporting, annotator.tasks.registry\n"
        "from annotator.tasks import registry; registry.all_kinds()\n"
        "assert not [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'sounddevice'))], 'Qt was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
