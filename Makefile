# newscrawl: `make` lists the targets. Everything runs from the project's own virtualenv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help setup crawl demo test test-fast lint typecheck db-start db-stop db-status bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)  ## create the virtualenv and install newscrawl with its pinned dependencies

crawl: $(STAMP)  ## set up, make sure a database is reachable, crawl every catalogue site
	$(BIN)/newscrawl crawl --all

demo: $(STAMP)  ## offline demo: crawl the bundled fixture site into the database, print a table
	$(BIN)/newscrawl demo

test: $(STAMP)  ## ruff, mypy and the test suite (what CI runs)
	$(BIN)/ruff check crawler tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest -q --doctest-modules crawler tests

test-fast: $(STAMP)  ## the inner loop: ruff and the tests that crawl nothing end to end, on two cores (about 1 min)
	$(BIN)/ruff check crawler tests bench
	$(BIN)/python -m pytest -q -n 2 -m "not slow" --doctest-modules crawler tests

lint: $(STAMP)  ## ruff only
	$(BIN)/ruff check crawler tests bench

typecheck: $(STAMP)  ## mypy over crawler/
	$(BIN)/mypy

bench: $(STAMP)  ## benchmark vs bare Scrapy on nginx (needs `apt-get install -y nginx`), write docs/benchmarks.md
	$(BIN)/python bench/run.py --write-docs

db-start: $(STAMP)  ## start the embedded database (nx-27017 under var/)
	$(BIN)/newscrawl db start

db-stop: $(STAMP)  ## stop the embedded database
	$(BIN)/newscrawl db stop

db-status: $(STAMP)  ## is the embedded database up?
	$(BIN)/newscrawl db status

clean:  ## remove the virtualenv and caches (keeps var/, the embedded database's data)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
