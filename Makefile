# partybuild — two commands: `make run` (demo) and `make test` (what CI runs).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# The test suite runs on PostgreSQL and Redis only (never SQLite).
TEST_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/partybuild)
TEST_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/0)
# The streaming replica of that server (scripts/replica.sh, port 5433): the same database name.
TEST_REPLICA_DATABASE_URL ?= $(or $(REPLICA_DATABASE_URL),$(if \
	$(findstring :5432/,$(TEST_DATABASE_URL)),$(subst :5432/,:5433/,$(TEST_DATABASE_URL))))
TEST_ENV := DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	CELERY_BROKER_URL=$(TEST_REDIS_URL) REPLICA_DATABASE_URL=$(TEST_REPLICA_DATABASE_URL) \
	DJANGO_ENV=test

.PHONY: run test setup system-deps services lint check pytest messages clean

system-deps:
	@bash scripts/system-deps.sh $(MODE)

$(VENV)/.installed: requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.lock
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

locale/vi/LC_MESSAGES/django.mo: locale/vi/LC_MESSAGES/django.po $(VENV)/.installed
	$(PY) manage.py compilemessages -l vi -v 0

messages: $(VENV)/.installed
	$(PY) manage.py makemessages -l vi --no-obsolete --ignore=node_modules --ignore=.venv --ignore=var
	$(PY) manage.py compilemessages -l vi

setup: system-deps $(VENV)/.installed node_modules/.installed locale/vi/LC_MESSAGES/django.mo

run: setup
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py seed_demo
	@echo
	@echo "  partybuild: http://$(HOST):$(PORT)/   (Ctrl-C để dừng / to stop)"
	@echo
	@trap 'kill 0' INT TERM EXIT; \
	$(VENV)/bin/celery -A partybuild worker --loglevel=WARNING --concurrency=2 & \
	DEBUG=false $(PY) manage.py runserver $(HOST):$(PORT) --noreload & \
	wait

lint: $(VENV)/.installed
	@# A worktree's .venv is a symlink to the shared one: tracked, a checkout replaces the
	@# shared venv with a link to itself (it happened once). Never track either.
	@test -z "$$(git ls-files -- .venv node_modules 2>/dev/null)" || \
		{ echo ".venv or node_modules is tracked: git rm --cached it" >&2; exit 1; }
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

check: $(VENV)/.installed
	$(TEST_ENV) $(PY) manage.py check --fail-level WARNING
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run

services: $(VENV)/.installed
	@$(TEST_ENV) PYTHON=$(PY) bash scripts/test-services.sh

pytest: $(VENV)/.installed
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

test:
	@$(MAKE) --no-print-directory setup MODE=test
	@$(MAKE) --no-print-directory services lint check pytest

clean:
	rm -rf var/ $(VENV) node_modules
