# Entry points: `make local` (a complete benchmark on this box) and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
SCENARIO ?= post_15k
RUN_TIME ?= 60s

.PHONY: install system-deps local test test-fast lint bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml collections/requirements.yml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	scripts/install-collections.sh $(VENV)
	touch $@

system-deps:
	scripts/install-system-deps.sh

local: system-deps install
	$(BIN)/rig local --scenario $(SCENARIO) --run-time $(RUN_TIME)

test: system-deps install
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not lab"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/yamllint -s .
	$(BIN)/ansible-lint

bench: install
	$(BIN)/python bench/api_throughput.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
