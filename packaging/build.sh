#!/usr/bin/env bash
# Build the desktop app into dist/annotator/ with PyInstaller, then smoke-test the result.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
"$PY" -m pip install --quiet "pyinstaller>=6.5"
"$PY" -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller packaging/annotator.spec
tmp=$(mktemp -d)
ANNOTATOR_DATA_DIR="$tmp" dist/annotator/annotator --help > /dev/null
ANNOTATOR_DATA_DIR="$tmp" dist/annotator/annotator demo --no-gui
ANNOTATOR_DATA_DIR="$tmp" dist/annotator/annotator --db "$tmp/demo.sqlite3" queue status "Demo: support intents"
echo "built dist/annotator/annotator"
