# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8000
# pytest-xdist workers; `make test PYTEST_WORKERS=0` runs in one process.
PYTEST_WORKERS ?= auto

.PHONY: install run serve worker test test-fast lint format diagrams clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("ILLMS needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

## make install: the virtualenv with ILLMS and its dependencies, and the translations compiled (locale/*.po to .mo,
## with msgfmt from Debian's gettext package when installed, else in pure Python; docs/translations.md).
install: $(STAMP)
	$(BIN)/python manage.py compile_translations

## make run: install, migrate, seed the demo data once, then serve with a Celery worker and beat, as production
## would (ILLMS_DEMO=1: DEBUG off, the site's own error pages, static files from WhiteNoise, a secret key made once
## in var/); `make run ILLMS_DEMO=0` serves with DEBUG on instead.
run: export ILLMS_DEMO ?= 1
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --site-url http://$(HOST):$(PORT)
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "ILLMS at http://$(HOST):$(PORT)/  (Ctrl-C stops the web server, the worker and beat)"
	@trap 'kill 0' INT TERM EXIT; \
	  $(BIN)/celery -A illms worker --beat --loglevel=INFO --pool=solo --schedule=var/celerybeat-schedule & \
	  $(BIN)/python manage.py runserver $(HOST):$(PORT)

## make test: the whole suite (PostgreSQL and Redis when DATABASE_URL and REDIS_URL say so).
test: install
	$(BIN)/python manage.py makemigrations --check --dry-run >/dev/null || \
	  (echo "Models and migrations disagree: run manage.py makemigrations" && exit 1)
	$(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .

diagrams: install
	$(BIN)/python manage.py workflow_graph

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache

## make bench: benchmarks at network scale on PostgreSQL (docs/performance.md), never part of `make test`.
## Drops and recreates DATABASE_URL (default postgres://postgres@127.0.0.1:5432/illms_bench; its name must
## contain "bench"); writes bench/results.json and bench/results.md. Quick run: make bench BENCH_SIZES=10000,100000
## BENCH_ARGS passes options on, e.g. BENCH_ARGS="--only pages,api" (python -m bench --help).
BENCH_SIZES ?= 10000,100000,1000000
BENCH_ARGS ?=
.PHONY: bench
bench: install
	BENCH_SIZES=$(BENCH_SIZES) $(BIN)/python -m bench $(BENCH_ARGS)
