# MeWeT lab: `make run` runs the lab, `make test` runs every check on real servers.
# Debian's own python3 where it can make venvs: Debian builds it with PGO and LTO, and the
# engine runs about a third faster on it than on an interpreter built without them (README,
# Figures, Engine). Any other: `make PYTHON=python3.12 ...` (after `make clean`).
SYSTEM_PYTHON := $(shell /usr/bin/python3 -c 'import ensurepip, venv' 2>/dev/null && echo /usr/bin/python3)
PYTHON ?= $(or $(SYSTEM_PYTHON),python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-pg test-servers lint layers typecheck servers bench bench-engine bench-api bench-ui bench-fleet bench-door docs screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## The two commands -------------------------------------------------------------

run: $(STAMP) servers
	$(BIN)/mewet up

test: $(STAMP) test-servers lint layers typecheck
	$(BIN)/pytest -q

# the whole suite again with the app's state in PostgreSQL (make test runs the database's own
# tests on both)
test-pg: $(STAMP) test-servers
	MEWET_TEST_DB=postgresql $(BIN)/pytest -q

## Parts ----------------------------------------------------------------------

servers:
	@sh scripts/install-servers.sh

test-servers:
	@sh scripts/install-servers.sh test

lint: $(STAMP)
	$(BIN)/ruff check mewet tests bench
	$(BIN)/ruff format --check mewet tests bench

# the layer rules of docs/architecture.md, from pyproject.toml's [tool.importlinter]
layers: $(STAMP)
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy mewet tests

bench: $(STAMP) servers
	$(BIN)/python bench/ingest.py

bench-engine: $(STAMP)
	$(BIN)/python bench/engine.py

bench-api: $(STAMP) servers
	$(BIN)/python bench/api.py

bench-ui: $(STAMP) test-servers
	$(BIN)/python bench/ui.py

bench-fleet: $(STAMP) test-servers
	$(BIN)/python bench/fleet.py

bench-door: $(STAMP) test-servers
	$(BIN)/python bench/door.py

# the tour's pictures (README, docs/tour.md): the browser tests, keeping a screenshot of each page
screenshots: $(STAMP) test-servers
	MEWET_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q tests/pages -k "class_runs or company"

docs: $(STAMP)
	$(BIN)/mewet contract docs --out docs/contract.md
	$(BIN)/mewet dashboards --out dashboards
	$(BIN)/mewet contract schema --out docs/schema
	$(BIN)/mewet scenario schema --out docs/schema/scenario.json
	$(BIN)/mewet scenario incidents --out docs/incidents.md
	$(BIN)/mewet scenario reference --out docs/scenario-reference.md

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
