# Backroom — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Only the source folders that exist (bench/ arrives with the benchmarks).
CODE := $(wildcard src tests bench)

.DEFAULT_GOAL := help

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

.PHONY: help
help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk -F':.*?## ' '{printf "  %-12s %s\n", $$1, $$2}'

.PHONY: install
install: $(STAMP) ## Create .venv and install Backroom with its dev tools

.PHONY: run
run: $(STAMP) ## Serve on http://$(HOST):$(PORT) (SQLite by default; migrates first)
	$(BIN)/backroom serve --host $(HOST) --port $(PORT)

.PHONY: migrate
migrate: $(STAMP) ## Bring the database to the newest migration
	$(BIN)/backroom db upgrade

.PHONY: fmt
fmt: $(STAMP) ## Format and auto-fix
	$(BIN)/ruff format $(CODE)
	$(BIN)/ruff check --fix $(CODE)

.PHONY: lint
lint: $(STAMP) ## ruff (format check + lint), mypy strict, import-linter
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/ruff check $(CODE)
	$(BIN)/mypy
	$(BIN)/lint-imports

.PHONY: pytest
pytest: $(STAMP) ## Run the test suite (TEST_DATABASE_URL switches to PostgreSQL)
	$(BIN)/pytest -q

.PHONY: test
test: lint pytest ## Every gate: lint, types, layers, tests

.PHONY: openapi
openapi: $(STAMP) ## Write the OpenAPI document to openapi.json
	$(BIN)/backroom openapi --out openapi.json

.PHONY: bench
bench: $(STAMP) ## Load benchmarks against a real server; writes docs/BENCHMARKS.md
	bash bench/run

.PHONY: clean
clean: ## Remove caches (keeps .venv and the database)
	rm -rf .mypy_cache .ruff_cache .pytest_cache .hypothesis
