# Heroic on Kubernetes: every entry point a developer or CI needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
COMPONENTS ?= all
TESTENV := $(PY) -m heroic_testenv
# cargo builds the compiled crates (the consumer's decoder, the query side's grouped sums) during
# the install: rustup puts it in ~/.cargo/bin, which a non-login shell (CI) may not have on PATH.
# Their build output lives outside the checkout, so a fresh clone or another worktree builds
# incrementally.
export PATH := $(HOME)/.cargo/bin:$(PATH)
export CARGO_TARGET_DIR ?= $(HOME)/.cache/heroic-cargo-target
NATIVE_CRATES := workloads/consumer/native workloads/core/native
NATIVE_SOURCES := $(foreach crate,$(NATIVE_CRATES),$(wildcard $(crate)/Cargo.*) $(wildcard $(crate)/src/*.rs))

.PHONY: generate chart-sync docs help venv native-check run test test-unit test-integration lint e2e helm-test bench image testenv-up testenv-env testenv-down testenv-status deps-check

help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

$(VENV)/.installed: pyproject.toml $(NATIVE_SOURCES)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[backends,operator,render,dev]'
	@touch $@

venv: $(VENV)/.installed  ## create the virtualenv with every extra

test: venv  ## every test; starts (and afterwards stops) the components the tests need
	$(PY) -m pytest $(PYTEST_ARGS)

test-unit: venv  ## unit tests only, no servers
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-integration: venv  ## integration tests against the real components of the test environment
	$(PY) -m pytest tests/integration $(PYTEST_ARGS)

helm-test: venv  ## Helm chart rendering tests with the real helm binary
	$(PY) -m pytest helm-tests $(PYTEST_ARGS)

e2e: venv  ## end-to-end tests: on the test environment's real node (root), kind where Docker answers, or KUBECONFIG
	$(PY) -m pytest tests/e2e $(PYTEST_ARGS)

run: venv  ## the main job on embedded defaults: control plane, operator, a HeroicCluster, API + consumer with demo data
	$(PY) -m heroic_demo

bench: venv  ## every benchmark: prints each one's figures, writes them all to .bench/<time>-<commit>.json
	$(PY) benchmarks/run_all.py $(BENCH_ARGS)

generate: venv  ## write the CRD, the chart's copies (CRD, RBAC, values schema), its Grafana dashboard and docs/heroiccluster-reference.md
	$(PY) -m heroic_generate

chart-sync: generate  ## alias of generate

docs: generate  ## alias of generate

IMAGE ?= heroic:dev
image:  ## build the container image: docker build where a Docker engine answers, else buildah (no daemon, no registry)
	@if docker info >/dev/null 2>&1; then \
		docker build -f Containerfile -t $(IMAGE) . ; \
	else \
		echo "no Docker engine answers: building with buildah (docs/testing.md, Images without Docker)" >&2; \
		$(MAKE) --no-print-directory venv && $(TESTENV) image heroic --tag $(IMAGE); \
	fi

# Every extra must install from binary wheels on each Python we support, even where only one
# interpreter is at hand: pip resolves (without installing) for the other versions.
DEPS_PYTHONS ?= 3.11 3.12 3.13
deps-check: venv  ## resolve the project with every extra for Python $(DEPS_PYTHONS), binary wheels only
	@for v in $(DEPS_PYTHONS); do \
		target=$$(mktemp -d) && \
		$(PY) -m pip install -q --dry-run --ignore-installed --only-binary=:all: \
			--python-version $$v --target $$target '.[backends,operator,render,dev]' \
			&& echo "deps-check: Python $$v resolves from wheels" \
			|| { rm -rf $$target; echo "deps-check: Python $$v does not resolve" >&2; exit 1; }; \
		rm -rf $$target; \
	done

native-check:  ## the compiled crates' Rust: rustfmt, clippy, their unit tests (skipped without cargo)
	@if command -v cargo >/dev/null; then \
		for crate in $(NATIVE_CRATES); do \
			manifest="--manifest-path $$crate/Cargo.toml"; \
			cargo fmt $$manifest --check \
			&& cargo clippy -q --release $$manifest -- -D warnings \
			&& cargo test -q --release $$manifest || exit 1; \
		done; \
	else echo "native-check: no cargo, the compiled crates are not built here" >&2; fi

lint: venv deps-check native-check  ## ruff (check and format), mypy --strict, import contracts, deps-check, native-check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy workloads/core/heroic_core workloads/api/heroic_api \
		workloads/consumer/heroic_consumer workloads/cli/heroic_cli operator/heroic_operator \
		tools/heroic_testenv tools/heroic_demo tools/heroic_generate

testenv-up: venv  ## start the test environment (COMPONENTS="kubernetes kafka ...")
	$(TESTENV) up --components "$(COMPONENTS)"

testenv-env: venv  ## print export lines for the running test environment
	@$(TESTENV) env

testenv-status: venv  ## show what runs
	@$(TESTENV) status

testenv-down: venv  ## stop everything the test environment started
	$(TESTENV) down
