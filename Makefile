# Overseer — the README's two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv demo test services harnesses bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## make demo: set up and run the main job on the embedded default (SQLite, no keys, no services)
demo: $(STAMP)
	$(BIN)/overseer demo

## make test: set up, start the services the tests need, install the pinned agent CLIs and chromium, run the whole suite
test: $(STAMP) services harnesses
	scripts/install-browser.sh
	scripts/test.sh

services:
	scripts/services.sh

## the real agent CLIs the harness tests drive, pinned, into .tools (cached; a failed install makes its tests skip loudly)
harnesses:
	scripts/install-harnesses.sh

## make bench: the benchmarks, each ending with its BENCH line
bench: $(STAMP) services
	$(BIN)/python bench/graph.py
	$(BIN)/python bench/dispatch.py
	$(BIN)/python bench/routing.py
	$(BIN)/python bench/audit.py
	$(BIN)/python bench/api.py

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
