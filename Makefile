# Burnout Monitor: `make demo` to try it, `make test` to check it. See README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8866

.PHONY: help demo test lab lint format strip system-deps clean-demo

help:
	@echo "make demo   - install, build the demo database (if absent) and serve the dashboard on http://$(HOST):$(PORT)"
	@echo "make test   - install test dependencies and run the test suite (with CI=true, the load tests too)"
	@echo "make lab    - JupyterLab with the project installed"
	@echo "make lint   - ruff check, ruff format --check and the import contract (lint-imports)"
	@echo "make format - ruff format and ruff check --fix"
	@echo "make strip  - remove outputs from the notebooks (nbstripout)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

demo: $(VENV)/.installed
	$(BIN)/burnout demo
	BURNOUT_DEMO_SIGNIN=1 $(BIN)/burnout dashboard --host $(HOST) --port $(PORT)

# Debian packages the tests drive for real: a PostgreSQL server, Chromium and nginx.
system-deps:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	test -x /usr/sbin/nginx || command -v nginx >/dev/null 2>&1 || missing="$$missing nginx"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else \
	    echo "please install:$$missing (Debian: sudo apt-get install$$missing)"; exit 1; \
	  fi; \
	fi

# Everything; the `load` tests (minutes of real pages) and the `faults` tests (killed commands,
# a restarted database server) only in CI, where $CI is set (.ci/run).
test: $(VENV)/.installed-test system-deps
	$(BIN)/pytest $(if $(CI),,-m "not load and not faults")

lab: $(VENV)/.installed
	$(BIN)/jupyter lab --notebook-dir=notebooks

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

strip: $(VENV)/.installed-test
	$(BIN)/nbstripout --keep-id notebooks/*.ipynb

clean-demo:
	rm -rf data/burnout.db data/burnout.db-* data/people data/mock_truth.parquet
