# GOTRS: `make run` sets up and serves on the embedded default; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
GOTRS  := $(BIN)/gotrs
HOST   ?= 127.0.0.1
PORT   ?= 8080

.PHONY: run install dev test lint typecheck assets services-start services-stop clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.dev-installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed

dev: $(VENV)/.dev-installed

run: $(VENV)/.installed
	$(GOTRS) db init
	$(GOTRS) seed demo
	$(GOTRS) serve --host $(HOST) --port $(PORT)

test: $(VENV)/.dev-installed
	scripts/run-tests.sh

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy goatkit modules

assets:
	scripts/build-assets.sh

services-start:
	scripts/test-services.sh start

services-stop:
	scripts/test-services.sh stop

clean:
	rm -rf $(VENV) var/test-services var/test-services.env .pytest_cache .mypy_cache .ruff_cache
