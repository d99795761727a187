# Customer Success FTE — the two commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test venv frontend check-frontend clean-var help

help:
	@echo "make run   - the whole system on embedded defaults (web, worker, pipeline, demo data)"
	@echo "make test  - every test, starting Kafka and Redis if they are not running"

$(PY):
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) requirements.txt requirements-test.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	@scripts/run

test: $(STAMP)
	@scripts/test

# Rebuild the committed web-form bundle (needs Node; `make run` does not).
frontend:
	cd frontend && npm ci --no-audit --no-fund && npm run build

check-frontend:
	bash frontend/check-bundle.sh
