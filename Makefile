# avwap: two commands on a fresh machine -- `make demo` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench lint install clean lock

$(STAMP): requirements.lock pyproject.toml src/avwap/ledger/_line_hashes.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock 2>&1 \
		| { grep -v "is ignored: it is neither" || test $$? -eq 1; }
	$(BIN)/python -m pip check && $(BIN)/python -c "import numpy, pandas, pyarrow, exchange_calendars, msgspec, typer"
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m avwap.signals.warmup
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/avwap demo

test: $(STAMP)
	$(BIN)/python tests/run_tests.py

bench: $(STAMP)
	$(BIN)/python benchmarks/run_benchmarks.py

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock

# Build outputs only: never ./var, which may hold real ledgers (AVWAP_HOME defaults to ./var).
clean:
	rm -rf $(VENV) build src/*.egg-info var/demo var/numba-cache src/avwap/ledger/_line_hashes.*.so
