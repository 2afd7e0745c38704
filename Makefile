# Heroic on Kubernetes: every entry point a developer or CI needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
COMPONENTS ?= all
TESTENV := $(PY) -m heroic_testenv

.PHONY: help venv run test test-unit lint testenv-up testenv-env testenv-down testenv-status bench

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[backends,operator,dev]'
	@touch $@

venv: $(VENV)/.installed  ## create the virtualenv with every extra

test: venv  ## every test; starts (and afterwards stops) the components the tests need
	$(PY) -m pytest $(PYTEST_ARGS)

test-unit: venv  ## unit tests only, no servers
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

lint: venv  ## ruff and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy workloads/core/heroic_core workloads/api/heroic_api workloads/consumer/heroic_consumer operator/heroic_operator tools/heroic_testenv

testenv-up: venv  ## start the test environment (COMPONENTS="kubernetes kafka ...")
	$(TESTENV) up --components "$(COMPONENTS)"

testenv-env: venv  ## print export lines for the running test environment
	@$(TESTENV) env

testenv-status: venv  ## show what runs
	@$(TESTENV) status

testenv-down: venv  ## stop everything the test environment started
	$(TESTENV) down
