# Two commands matter: `make run` (local stack on 127.0.0.1:3000) and `make test` (everything CI runs).
# Both set themselves up: a Python 3.13 virtual environment in .venv, and aws-sam-cli in .venv-sam.
# Prerequisites: make and a Python 3.13 anywhere scripts/find-python looks (PATH, pyenv, uv), or
# PYTHON=/path/to/python3.13. An inherited PYENV_VERSION is ignored.
SHELL := /bin/bash
unexport PYENV_VERSION
PYTHON ?=
FIND_PYTHON := PYTHON='$(PYTHON)' scripts/find-python
IS_313 := -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))'
VENV := .venv
SAM_VENV := .venv-sam
PY := $(VENV)/bin/python
SAM := $(SAM_VENV)/bin/sam
# The infrastructure scanner has its own environment: its pins conflict with moto's and sam's.
CHECKOV_VENV := .venv-checkov
# The OpenAPI style linter (Redocly CLI, from npm), kept out of the repository in .tools.
TOOLS := .tools
REDOCLY := $(TOOLS)/node_modules/.bin/redocly
export REDOCLY_TELEMETRY := off
export REDOCLY_SUPPRESS_UPDATE_NOTICE := true
# The accessibility engine the console's browser tests inject into each page (pinned, from npm).
AXE := $(TOOLS)/node_modules/axe-core/axe.min.js
# The operators' console (console/): npm packages in console/node_modules, the build in console/dist.
CONSOLE := console
CONSOLE_SOURCES := $(shell find $(CONSOLE)/src -type f ! -name schema.d.ts 2>/dev/null) \
	$(addprefix $(CONSOLE)/,index.html vite.config.ts tsconfig.json package.json)
OPENAPI_DOC := functions/admin_api/admin_api/openapi.json
ARGS ?=
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0

.PHONY: help setup console deploy-console run token test lint format types pytest unit integration e2e template security bench clean openapi openapi-lint chromium browser-tools

help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'
	@echo '  Options: make run ARGS="--data .local/ --verbose"  ·  make e2e ARGS="-k cli"'
	@echo '  Bench sections: admin checkout codes codes_large (18 min alone) console courseware sso'

# A .venv made with another Python (or half made) is made again with a 3.13.
$(VENV)/.installed: pyproject.toml layers/shared/requirements.txt
	@$(PY) $(IS_313) 2>/dev/null || { \
		python=$$($(FIND_PYTHON)) || exit 1; \
		echo "creating $(VENV) with $$python"; rm -rf $(VENV); "$$python" -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

$(SAM_VENV)/.installed:
	@$(SAM_VENV)/bin/python $(IS_313) 2>/dev/null || { \
		python=$$($(FIND_PYTHON)) || exit 1; rm -rf $(SAM_VENV); "$$python" -m venv $(SAM_VENV); }
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli
	@touch $@

$(CHECKOV_VENV)/.installed:
	@$(CHECKOV_VENV)/bin/python $(IS_313) 2>/dev/null || { \
		python=$$($(FIND_PYTHON)) || exit 1; rm -rf $(CHECKOV_VENV); "$$python" -m venv $(CHECKOV_VENV); }
	$(CHECKOV_VENV)/bin/pip install --quiet 'checkov==3.3.30'
	@touch $@

setup: $(VENV)/.installed  ## create .venv with the project and its dev tools

# npm ci only when the lockfile changed; the build (client generation, type check, bundle) only when
# a source, the lockfile or the OpenAPI document changed.
$(CONSOLE)/node_modules/.installed: $(CONSOLE)/package-lock.json
	@command -v npm >/dev/null || { echo "the console needs Node.js 20+ and npm (e.g. apt-get install nodejs npm)"; exit 1; }
	cd $(CONSOLE) && npm ci --no-audit --no-fund
	@touch $@

$(CONSOLE)/dist/index.html: $(CONSOLE)/node_modules/.installed $(CONSOLE_SOURCES) $(OPENAPI_DOC)
	cd $(CONSOLE) && npm run --silent build
	@touch $@

console: $(CONSOLE)/dist/index.html  ## build the operators' console into console/dist (served at /console/)

# After `sam deploy`: the built console and its stage config into the stack's console bucket.
deploy-console: $(VENV)/.installed console  ## upload console/dist to a deployed stack (ARGS="--stack-name NAME")
	$(PY) scripts/deploy_console.py $(ARGS)

run: $(VENV)/.installed console  ## local stack on 127.0.0.1:3000 (ARGS: --data DIR keeps data, --verbose, --port)
	@$(PY) -m b2b_local run $(ARGS)

token: $(VENV)/.installed  ## print a dev JWT: learner dev-user, or ARGS="--admin" / "--sub learner-1" / "--client storefront"
	@$(PY) -m b2b_local token $(ARGS)

lint: $(VENV)/.installed  ## ruff lint (with the complexity gate), format check, import contracts
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(VENV)/.installed  ## apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

types: $(VENV)/.installed  ## mypy (strict on the shared layer)
	$(VENV)/bin/mypy layers/shared/b2b functions local cli

# Two sessions: the end-to-end stack's pollers would otherwise consume the queues and the table's
# stream that integration tests in the same session drive themselves. Coverage is of the shared layer
# in-process (the end-to-end functions run in worker processes, so they add nothing to it).
pytest: $(VENV)/.installed console browser-tools  ## every test: unit and integration, then end-to-end (ARGS go to pytest)
	$(VENV)/bin/pytest tests/unit tests/integration $(ARGS)
	$(VENV)/bin/pytest tests/e2e --no-cov $(ARGS)

unit: $(VENV)/.installed  ## unit tests only: no network, seconds (tests/unit)
	$(VENV)/bin/pytest tests/unit $(ARGS)

integration: $(VENV)/.installed  ## integration tests against a moto server (tests/integration)
	$(VENV)/bin/pytest tests/integration $(ARGS)

e2e: $(VENV)/.installed console browser-tools  ## end-to-end tests: HTTP, the b2b CLI and the console in Chromium (tests/e2e)
	$(VENV)/bin/pytest tests/e2e $(ARGS)

# What the console's browser tests need besides the dev extras (Playwright): Debian's Chromium (and its
# driver, for the Swagger UI test), installed with apt-get when missing and the user is root, and axe-core.
# Without Chromium the browser tests skip, saying so, except under CI=true, where they fail.
chromium:  ## Debian's chromium and chromium-driver for the browser tests (apt-get when root and missing)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
		else echo "chromium is missing (apt-get install chromium chromium-driver): browser tests will skip"; fi; }

$(AXE):
	npm install --prefix $(TOOLS) --no-audit --no-fund --silent --save-exact axe-core@4.14.1

browser-tools: chromium $(AXE)

openapi: $(VENV)/.installed  ## rewrite the committed OpenAPI document after an API change (review the diff)
	$(PY) -m b2b_local openapi

$(REDOCLY):
	npm install --prefix $(TOOLS) --no-audit --no-fund --silent @redocly/cli@2.77.0

openapi-lint: $(VENV)/.installed $(REDOCLY)  ## the OpenAPI document: current, valid, and Redocly's strict style rules
	$(PY) -m b2b_local openapi --check
	$(REDOCLY) lint --format=summary functions/admin_api/admin_api/openapi.json

template: $(VENV)/.installed $(SAM_VENV)/.installed  ## sam validate --lint and sam build
	$(SAM) validate --lint --template template.yaml
	PYTHON=$(abspath $(PY)) $(SAM) build --template template.yaml --build-dir .aws-sam/build
	@test -n "$$(find .aws-sam/build/SharedLayer/python/b2b/__pycache__ -name '*.pyc' 2>/dev/null)" \
		|| { echo "the built layer has no compiled bytecode"; exit 1; }

security: $(CHECKOV_VENV)/.installed  ## infrastructure scan of template.yaml (checkov; skips and reasons in .checkov.yaml)
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml

test: console lint types openapi-lint pytest template security  ## everything CI runs

bench: $(VENV)/.installed console browser-tools  ## benchmarks into docs/benchmarks.md (~25 min); ARGS=codes runs one section
	$(PY) -m bench $(ARGS)

clean:  ## remove build output and virtual environments
	rm -rf .aws-sam $(VENV) $(SAM_VENV) $(CHECKOV_VENV) .mypy_cache .pytest_cache .ruff_cache
	rm -rf $(CONSOLE)/node_modules $(CONSOLE)/dist $(CONSOLE)/src/api/schema.d.ts
