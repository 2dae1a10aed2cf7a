#!/usr/bin/env bash
# `make dist`: build the desktop app into dist/annotator/ with PyInstaller, then prove it: the
# command line answers, the frozen app logs in, claims and submits on a virtual display
# (packaging/smoke.py), and its start is timed beside the source tree's (benchmarks/dist_bench.py).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}

# What the build bundles (PortAudio, on Linux) and what the smoke test drives the app with.
need=()
if [ "$(uname)" = Linux ]; then
    ldconfig -p | grep -q 'libportaudio\.so\.2 ' || need+=(libportaudio2)
    command -v Xvfb > /dev/null || need+=(xvfb)
    command -v xdotool > /dev/null || need+=(xdotool)
    ldconfig -p | grep -q 'libxcb-cursor\.so\.0 ' || need+=(libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1)
fi
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" > /dev/null
    else
        echo "make dist needs: ${need[*]} (apt-get install them, as root)" >&2
        exit 1
    fi
fi

"$PY" -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller \
    packaging/annotator.spec
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ANNOTATOR_DATA_DIR="$tmp" dist/annotator/annotator --help > /dev/null
ANNOTATOR_DATA_DIR="$tmp" dist/annotator/annotator demo --no-gui > /dev/null
ANNOTATOR_DATA_DIR="$tmp" dist/annotator/annotator --db "$tmp/demo.sqlite3" queue status "Demo: support intents" > /dev/null
"$PY" packaging/smoke.py dist/annotator/annotator
"$PY" benchmarks/dist_bench.py --runs 5
echo "built dist/annotator/annotator ($(du -sh dist/annotator | cut -f1))"
