# Backroom — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# uv installs the exact versions of uv.lock; it is itself pinned and kept in .tools/.
UV_VERSION := 0.13.9
UV := .tools/bin/uv
export UV_PYTHON_DOWNLOADS := never
# Only the source folders that exist (bench/ arrives with the benchmarks).
CODE := $(wildcard src tests bench)

.DEFAULT_GOAL := help

$(UV):
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --target .tools uv==$(UV_VERSION)

# --seed keeps pip in .venv for one-off tools (bench/run --profile installs py-spy with it).
$(BIN)/python: | $(UV)
	$(UV) venv --seed --python $(PYTHON) $(VENV)

# The exact versions of uv.lock, nothing else (--locked: stop if pyproject.toml and the
# lock disagree rather than resolve anew).
$(STAMP): $(BIN)/python pyproject.toml uv.lock
	$(UV) sync --locked --extra dev
	@touch $(STAMP)

.PHONY: help
help: ## List the targets
	@echo "make run serves on http://$(HOST):$(PORT) (another port: make run PORT=8080)"
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk -F':.*?## ' '{printf "  %-12s %s\n", $$1, $$2}'

.PHONY: install
install: $(STAMP) ## Create .venv with the locked versions of Backroom's dependencies and tools

.PHONY: lock
lock: $(UV) ## Update uv.lock after editing pyproject.toml (other pins stay)
	$(UV) lock

.PHONY: lock-upgrade
lock-upgrade: $(UV) ## Move every pin in uv.lock to the newest version pyproject.toml allows
	$(UV) lock --upgrade

.PHONY: lock-check
lock-check: $(UV) ## Fail when pyproject.toml and uv.lock disagree
	$(UV) lock --check

.PHONY: run
run: $(STAMP) ## Serve the API (SQLite by default; migrates first); HOST=... PORT=... to move it
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

# One pytest worker per core (pytest-xdist): each worker has its own database and data
# folder, so the suite's isolation per test holds across workers; tests that share one
# costly fixture (the streaming replica) are kept on one worker (`xdist_group`).
# TEST_WORKERS=0 runs everything in this process.
TEST_WORKERS ?= auto

.PHONY: pytest
pytest: $(STAMP) ## Run the test suite (TEST_DATABASE_URL switches to PostgreSQL; TEST_WORKERS=N)
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadgroup

.PHONY: test
test: lock-check lint pytest ## Every gate: the lock, lint, types, layers, tests

.PHONY: openapi
openapi: $(STAMP) ## Write the OpenAPI document to openapi.json
	$(BIN)/backroom openapi --out openapi.json

.PHONY: bench
bench: $(STAMP) ## Load benchmarks against a real server; writes docs/BENCHMARKS.md
	bash bench/run

.PHONY: clean
clean: ## Remove caches (keeps .venv, .tools and the database)
	rm -rf .mypy_cache .ruff_cache .pytest_cache .hypothesis
