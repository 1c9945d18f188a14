# Commonplace: `make run` serves the demo town, `make test` runs every test.
# Embedded by default: SQLite, and a Celery worker with beat on a broker kept as files in
# var/broker. Postgres and Redis instead when DATABASE_URL and REDIS_URL are set.

PYTHON_FOR_VENV := $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format migrations-check bench bench-quick messages compile-messages seed \
	clean backup restore

# (Re)install when pyproject.toml changes.
$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON_FOR_VENV) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

# One worker with beat beside the server; without -Q it takes every queue (celery, mail,
# assignment).
run: $(STAMP)
	$(PY) manage.py migrate --noinput
	@if command -v msgfmt >/dev/null; then $(PY) manage.py compilemessages --ignore=$(VENV) -v 0; fi
	$(PY) manage.py seed_demo
	@if [ -n "$$REDIS_URL" ]; then \
		echo "Starting a Celery worker with beat on Redis beside the web server"; \
		options=""; \
	else \
		echo "Starting a Celery worker with beat on the broker in var/broker beside the web server"; \
		options="--without-gossip --without-mingle --without-heartbeat"; \
	fi; \
	$(VENV)/bin/celery -A marketplace worker -B -l info --concurrency 2 $$options & \
	worker=$$!; trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrations-check: $(STAMP)
	$(PY) manage.py makemigrations --check --dry-run

# Issue 14's figures on 100,000 products (drops and seeds commonplace_bench; see bench/README.md).
# BENCH_ARGS="--reuse" keeps the seeded database; bench-quick is the 5,000-product smoke run.
bench: $(STAMP)
	$(PY) bench/run.py $(BENCH_ARGS)

bench-quick: $(STAMP)
	$(PY) bench/run.py --quick $(BENCH_ARGS)

seed: $(STAMP)
	$(PY) manage.py seed_demo

# The database and the uploaded media into a new folder under BACKUP_DIR (var/backups);
# KEEP=14 then deletes all but the 14 newest. See "Backups" in the README.
backup: $(STAMP)
	$(PY) manage.py backup $(if $(KEEP),--keep $(KEEP))

# make restore FROM=var/backups/<folder>: asks before it replaces the database and media.
restore: $(STAMP)
	@test -n "$(FROM)" || { echo "Which backup? make restore FROM=var/backups/<folder>" >&2; exit 2; }
	$(PY) manage.py restore "$(FROM)"

messages: $(STAMP)
	$(PY) manage.py makemessages -l de --ignore=$(VENV) --ignore=var --ignore=bench --ignore=tests
	$(PY) manage.py makemessages -d djangojs -l de --ignore=$(VENV) --ignore=var --ignore=bench

compile-messages: $(STAMP)
	$(PY) manage.py compilemessages --ignore=$(VENV)

clean:
	rm -rf var/static .pytest_cache .ruff_cache
