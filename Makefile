# RuamKit: the commands the README gives. Every target creates what it needs.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
HOST   ?= 0.0.0.0
PORT   ?= 5000

.PHONY: run serve test test-unit lint audit bench i18n lock vendor vendor-check clean help

help:
	@echo "make run    - create the venv, install, start the server with a demo workshop"
	@echo "make test   - run every test (unit, integration on SQLite and PostgreSQL, browser)"
	@echo "make lint   - ruff, the import contracts (lint-imports), mypy"
	@echo "make audit  - pip-audit over every pinned package (constraints.txt)"
	@echo "make bench  - load and export benchmarks, results in bench/results/"
	@echo "make i18n   - extract strings and compile the Thai catalogs"

$(VENV)/.runtime: requirements.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt -c constraints.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PIP) install -q -r requirements-dev.txt -c constraints.txt
	touch $@

run: $(VENV)/.runtime
	$(PY) run.py serve --demo --host $(HOST) --port $(PORT)

serve: run

test: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(PY) -m workshop.i18n_tools check
	$(PY) -m pytest $(PYTEST_ARGS)

test-unit: $(VENV)/.dev
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

# pip-audit over every pin, against the advisories PyPI publishes, through a local OSV service
# (tools/osv_pypi.py): needs pypi.org only. Exit 1: known vulnerabilities; 2: could not run.
audit: $(VENV)/.dev
	$(PY) -m tools.audit -r constraints.txt

bench: $(VENV)/.dev
	$(PY) -m bench $(BENCH_ARGS)

# Pins every package the venv holds into constraints.txt (after changing a requirements file)
lock: $(VENV)/.dev
	(head -2 constraints.txt; $(PIP) freeze --exclude-editable) > constraints.tmp && mv constraints.tmp constraints.txt

# Fetches static/vendor again from the npm registry (versions in tools/vendor.sh); vendor-check compares only
vendor:
	tools/vendor.sh

vendor-check:
	tools/vendor.sh --check

i18n: $(VENV)/.runtime
	$(PY) -m workshop.i18n_tools

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
