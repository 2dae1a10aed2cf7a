# The two set-up commands of the README: `make demo` and `make test`. Each creates .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP_QUIET := --quiet --disable-pip-version-check

.PHONY: demo test bench dist install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_QUIET) --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
	$(BIN)/python -m pip install $(PIP_QUIET) -e ".[dev]" 2>&1 | grep -v '^WARNING: Location' || true
	$(BIN)/python -c "import annotator, PySide6, sqlalchemy, alembic, psycopg, pytest, pytestqt, importlinter"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/annotator demo

# The whole suite. ANNOTATOR_TEST_PG_URL (set by .ci/run) adds the PostgreSQL backend.
test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

# The desktop build in dist/annotator/, proved by a smoke test of the frozen app (packaging/build.sh).
dist: $(STAMP)
	$(BIN)/python -m pip install $(PIP_QUIET) -e ".[dev,dist]" 2>&1 | grep -v '^WARNING: Location' || true
	PYTHON=$(BIN)/python packaging/build.sh

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build dist
