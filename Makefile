# Cartera — the two commands a newcomer needs: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
HOST ?= 127.0.0.1
PORT ?= 8000
export UV_PYTHON_DOWNLOADS := never

.PHONY: demo test lint format install install-test lock messages bench clean

$(BIN)/uv:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Bytecode is compiled at install (--compile-bytecode, compileall): where the environment sets
# PYTHONDONTWRITEBYTECODE, as CI's does, every command would otherwise compile every module
# it imports again (about 1.5 s of each `cartera` start-up).
$(VENV)/.base: requirements/base.lock pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python --require-hashes -r requirements/base.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m compileall -q -j 0 cartera >/dev/null
	touch $@

$(VENV)/.test: requirements/test.lock pyproject.toml $(VENV)/.base
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python --require-hashes -r requirements/test.lock
	touch $@

install: $(VENV)/.base
install-test: $(VENV)/.test

## Install, migrate, load the demo organisation and serve it at http://$(HOST):$(PORT)
demo: install
	$(BIN)/cartera demo --host $(HOST) --port $(PORT)

## Install what the tests need, check style, run the whole suite
test: install-test lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Re-resolve the pinned dependencies (needs the package index)
lock: | $(BIN)/uv
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes --no-header -q -o requirements/base.lock
	$(BIN)/uv pip compile pyproject.toml --extra test --python-version 3.11 --generate-hashes --no-header -q -o requirements/test.lock

## Rebuild the English message catalogue after changing strings (needs gettext)
messages: install
	cd cartera && ../$(BIN)/cartera makemessages -l en --no-obsolete --no-wrap
	cd cartera && ../$(BIN)/cartera compilemessages -l en

## Run a benchmark: make bench BENCH_ARGS="portal --check" (no BENCH_ARGS: list them)
BENCH_ARGS ?= --help
bench: install
	$(BIN)/cartera bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
