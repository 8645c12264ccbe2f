# Every target prints its own help: `make help`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export WATERBILL_ENV ?= development
export WATERBILL_DATABASE_URL ?= sqlite:///var/waterbill.db

.DEFAULT_GOAL := help

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

.PHONY: install
install: $(BIN)/.installed ## Create the virtual environment and install waterbill with its tools

.PHONY: migrate
migrate: install ## Bring the database (WATERBILL_DATABASE_URL, default var/waterbill.db) to the newest schema
	$(BIN)/waterbill db upgrade

.PHONY: demo
demo: migrate ## Load demo data when the database is empty
	$(BIN)/waterbill demo-data --subscribers 2000 --seed 1 --if-empty

.PHONY: run
run: demo ## Set everything up and serve on http://127.0.0.1:8000 (SQLite, demo data, bundled sign-in, the notification worker, mails in var/mail/)
	@echo "Open http://127.0.0.1:8000/ and sign in with the demo citizen printed below."
	@echo "Notification mails land in var/mail/ as .eml files (a local mail sink on port 8025)."
	@trap 'kill $$(jobs -p) 2>/dev/null' EXIT; \
	$(BIN)/waterbill mail-sink --port 8025 --dir var/mail & \
	$(BIN)/waterbill worker & \
	$(BIN)/waterbill serve --host 127.0.0.1 --port 8000

.PHONY: test
test: install ## Run the whole test suite (the PostgreSQL tier runs when PostgreSQL answers)
	$(BIN)/pytest

# The first and last minute of a Baku month (UTC+4), a leap day and a day a year on.
CLOCKS ?= 2027-01-31T20:00:00Z 2027-01-31T19:59:00Z 2027-01-31T20:30:00Z 2028-02-29T08:00:00Z 2027-12-02T12:00:00Z

.PHONY: test-clocks
test-clocks: install ## The unit, integration and functional tiers on SQLite with the clock at each of CLOCKS
	@set -e; for instant in $(CLOCKS); do \
	  echo "== the suite with the clock at $$instant"; \
	  $(BIN)/pytest tests/unit tests/integration tests/functional -m "not postgres and not browser" -q --clock=$$instant; \
	done

.PHONY: bench
bench: install ## Measure at national scale and rewrite docs/benchmarks.md (BENCH_SCALE=small: minutes)
	@command -v wrk >/dev/null || apt-get install -y wrk || { echo "make bench needs wrk (Debian package wrk)"; exit 1; }
	$(BIN)/python -m bench.run

.PHONY: lint
lint: install ## ruff check and format --check (src, tests, bench), mypy (src, bench), the layer contracts (lint-imports)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

.PHONY: format
format: install ## Format the code in place
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

.PHONY: messages
messages: install ## Extract translatable texts and update the az/en/ru catalogs
	@mkdir -p var
	$(BIN)/pybabel extract -F src/waterbill/i18n/babel.cfg --no-location -o var/messages.pot src/waterbill
	$(BIN)/pybabel update -i var/messages.pot -d src/waterbill/i18n/locales --width 100

.PHONY: clean
clean: ## Remove the virtual environment and local data
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
