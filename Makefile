# carbonledger: the README's quick start is `make demo` and `make test`, and both set themselves
# up from a fresh clone. Set-up is idempotent: stamp files record what was installed from which
# pyproject.toml / package-lock.json, so a repeated run only checks timestamps.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Inside .venv and node_modules, so that deleting either also forgets that it was set up. npm
# writes node_modules/.package-lock.json on every install, so an install made by hand counts too.
PY_STAMP := $(VENV)/.carbonledger-installed
NODE_STAMP := node_modules/.package-lock.json
NODE_SETUP := $(if $(wildcard package.json),$(NODE_STAMP))

PG_HOST := 127.0.0.1
PYTEST_ARGS ?=


.PHONY: system-packages
.PHONY: help setup demo test test-sqlite test-postgresql lint bench clean distclean

help:
	@echo "make setup            .venv with the package and dev tools; npm ci (idempotent)"
	@echo "make demo             set up, then run the demo"
	@echo "make test             set up, then pytest on SQLite and again on PostgreSQL"
	@echo "make test-sqlite      only the SQLite run (PYTEST_ARGS=... passes options)"
	@echo "make test-postgresql  only the PostgreSQL run (starts the local cluster if needed)"
	@echo "make lint             ruff check, ruff format --check, mypy --strict"
	@echo "make bench            run scripts/bench_*.py"
	@echo "make clean            caches and build leftovers; distclean also .venv, node_modules"

setup: $(PY_STAMP) $(NODE_SETUP) system-packages

# Certificates are checked by reading their PDFs back (pdftotext) and render Chinese text with an
# embedded CJK font: both come from Debian packages, installed once if missing (CI runs as root).
system-packages:
	@if ! command -v pdftotext >/dev/null || [ ! -e /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils fonts-droid-fallback >/dev/null; \
		else echo "note: install poppler-utils and fonts-droid-fallback for the certificate tests" >&2; fi; \
	fi

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "carbonledger needs Python >= 3.11; $(PYTHON) is older" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(PY_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(NODE_STAMP): package.json $(wildcard package-lock.json)
	npm ci --no-audit --no-fund
	touch $@

demo: setup
	$(BIN)/carbonledger demo

# pytest exits 5 when it collected no tests: say so, and fail like any other exit code.
define run_pytest
	@echo "== pytest on $(1)"
	@$(2) $(BIN)/pytest $(PYTEST_ARGS) || { status=$$?; \
		if [[ $$status == 5 ]]; then echo "pytest on $(1): no tests were collected" >&2; fi; \
		exit $$status; }
endef

# Start the local cluster if nothing answers on 5432; fail if it still does not answer.
define ensure_postgres
	@pg_isready -q -h $(PG_HOST) || { \
		echo "PostgreSQL not answering on $(PG_HOST):5432; starting the local cluster"; \
		command -v pg_ctlcluster >/dev/null \
			|| { echo "no pg_ctlcluster: start PostgreSQL on $(PG_HOST):5432" >&2; exit 1; }; \
		pg_ctlcluster --skip-systemctl-redirect "$$(ls /etc/postgresql | sort -V | tail -n 1)" \
			main start; \
		for _ in $$(seq 30); do pg_isready -q -h $(PG_HOST) && break; sleep 0.5; done; \
		pg_isready -h $(PG_HOST) || { echo "PostgreSQL did not come up" >&2; exit 1; }; }
endef

test: setup
	$(call run_pytest,SQLite,)
	$(ensure_postgres)
	$(call run_pytest,PostgreSQL,CARBONLEDGER_TEST_DB=postgresql)

test-sqlite: setup
	$(call run_pytest,SQLite,)

test-postgresql: setup
	$(ensure_postgres)
	$(call run_pytest,PostgreSQL,CARBONLEDGER_TEST_DB=postgresql)

lint: $(PY_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: setup
	@for script in scripts/bench_*.py; do echo "== $$script"; $(BIN)/python "$$script"; done

clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis build dist *.egg-info
	find . -path ./$(VENV) -prune -o -path ./node_modules -prune \
		-o -type d -name __pycache__ -exec rm -rf {} +
	rm -f $(PY_STAMP)

distclean: clean
	rm -rf $(VENV) node_modules
