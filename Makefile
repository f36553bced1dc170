# The targets of contract/CLI.md. Each is safe to rerun and quick when
# nothing changed (stamp files record what was installed from what).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
JS_STAMP := node_modules/.installed
SYS_STAMP := $(VENV)/.system-deps

.PHONY: install demo test bench lint unit clean-home

install: $(PY_STAMP) $(JS_STAMP) $(SYS_STAMP)

$(PY_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

$(JS_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(SYS_STAMP): scripts/system-deps.sh | $(PY_STAMP)
	./scripts/system-deps.sh
	@touch $@

demo: install
	$(BIN)/hydrascope demo

test: install
	$(BIN)/pytest

unit: install
	$(BIN)/pytest -m "not integration"

bench: install
	@for b in server ingest detect web load cases stream sharing; do echo "== bench/$$b.py"; $(BIN)/python bench/$$b.py || exit 1; done

lint: install
	$(BIN)/ruff check app tests bench
	$(BIN)/mypy app
