# Readiness LRS — the two set-up commands are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck imports pytest bench clean browsers

# Dependencies come from the hash-pinned lock (see SECURITY.md, "Dependencies"); the project
# itself is installed editable without resolving anything.
$(STAMP): pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# Re-resolve the lock files from pyproject.toml. Existing pins are kept unless asked:
# `make lock UPGRADE=1` (everything) or `make lock UPGRADE_PACKAGE=duckdb` (one package).
LOCK_TOOLS := $(VENV)/.lock-tools
UV_VERSION := 0.13.9
UV_COMPILE = $(LOCK_TOOLS)/bin/uv pip compile pyproject.toml --generate-hashes --universal \
	--python-version 3.11 --quiet $(if $(UPGRADE),--upgrade) \
	$(if $(UPGRADE_PACKAGE),--upgrade-package $(UPGRADE_PACKAGE))
.PHONY: lock
lock:
	test -x $(LOCK_TOOLS)/bin/uv || ($(PYTHON) -m venv $(LOCK_TOOLS) && \
		$(LOCK_TOOLS)/bin/pip install --quiet uv==$(UV_VERSION))
	$(UV_COMPILE) --extra dev -o requirements-dev.lock
	$(UV_COMPILE) -c requirements-dev.lock -o requirements.lock

run: $(STAMP)
	$(BIN)/lrs start

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

# Two workers (pytest-xdist), one test file per worker at a time so module-scoped hospitals are
# built once; PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 2
pytest: $(STAMP) browsers
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadfile

test: lint typecheck imports pytest

# The benchmark suite (not tests): gunicorn as deployed, driven over loopback; writes
# var/bench/report.md and report.json. BENCH_ARGS="--large 100000" for a quicker run;
# BENCH_ARGS="--phases small,large,huge" adds the 10M-stored phase ("--phases huge" alone).
bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

# Headless Chromium for the dashboard browser tests (Debian packages; root + apt-get only).
browsers:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	else echo "chromium/chromium-driver missing: run 'sudo make browsers' (browser tests will be skipped)"; fi

.PHONY: fuzz fuzz-hostile soak
# Longer randomised fuzzing: the hostile-JSON campaign (FUZZ_MINUTES per route family, sqlite and
# mongomock in parallel, gunicorn as deployed; report in var/fuzz/), then hypothesis property
# tests and schemathesis on a live server.
fuzz: fuzz-hostile
	LRS_FUZZ_EXAMPLES=$${LRS_FUZZ_EXAMPLES:-2000} $(BIN)/pytest -q -s \
		tests/reliability/test_properties.py tests/reliability/test_schemathesis.py

fuzz-hostile: $(STAMP)
	LRS_FUZZ_BIG=1 nice -n 10 $(BIN)/python -m tests.reliability.fuzz_campaign \
		--minutes $${FUZZ_MINUTES:-10} --backend sqlite --backend mongomock --out var/fuzz/report.json

# Longer concurrency and crash runs (LRS_SOAK_SCALE multiplies rounds and kills).
soak: $(STAMP)
	LRS_SOAK_SCALE=$${LRS_SOAK_SCALE:-5} $(BIN)/pytest -q -s \
		tests/reliability/test_concurrency.py tests/reliability/test_crash.py

# A peer LRS written by someone else, for the pull-import test (tests/interop/test_ralph.py):
# Ralph 5.1 with its file-system backend, in its own venv (never in the project's).
RALPH_VENV := var/ralph
.PHONY: ralph
ralph:
	test -x $(RALPH_VENV)/bin/uvicorn || ($(PYTHON) -m venv $(RALPH_VENV) && \
		$(RALPH_VENV)/bin/pip install --quiet "ralph-malph[lrs]==5.1.0" requests)
