# The two front-door commands: `make run` (the app on SQLite with demo data) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .make

.PHONY: run test fuzz worker lint bench-availability bench check-deploy clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when a requirements file changes.
$(STAMPS)/runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@mkdir -p $(STAMPS) && touch $@ $(STAMPS)/runtime

# Bootstrap and htmx, from npm with the committed lockfile.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

run: $(STAMPS)/runtime node_modules/.package-lock.json
	DJANGO_DEBUG=true $(BIN)/python manage.py migrate --no-input
	DJANGO_DEBUG=true $(BIN)/python manage.py load_demo_data
	@echo "Serving on http://127.0.0.1:8000 (staff sign-in at /staff/sign-in/, admin at /admin/)"
	DJANGO_DEBUG=true $(BIN)/python manage.py runserver 127.0.0.1:8000

# The background worker for e-mails and reminders (run beside `make run`).
worker: $(STAMPS)/runtime
	DJANGO_DEBUG=true $(BIN)/python manage.py db_worker

# Tests run on one pytest-xdist worker per core (the race tests one at a time, see
# tests/conftest.py). Hypothesis examples per property come from HYPOTHESIS_PROFILE: dev (50, the
# default), ci (200), deep (1,000), e.g. HYPOTHESIS_PROFILE=ci make test.
TEST_WORKERS ?= auto
# The browser tests need Chromium: scripts/ensure_chromium.sh finds it, or installs it where it can.
test: $(STAMPS)/dev node_modules/.package-lock.json
	CHROMIUM_PATH="$$(VENV_BIN=$(BIN) bash scripts/ensure_chromium.sh)" && export CHROMIUM_PATH && \
		$(BIN)/pytest -n $(TEST_WORKERS)

# The fuzz tests alone at 1,000 examples per property: long (about 18 minutes in a single
# process), so not part of make test. Worth a run after changing a form or a view that takes input.
fuzz: $(STAMPS)/dev node_modules/.package-lock.json
	HYPOTHESIS_PROFILE=deep $(BIN)/pytest -n $(TEST_WORKERS) -m fuzz

lint: $(STAMPS)/dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

# The benchmarks live in the dev-only app (devtools/management/commands/bench_*.py).
# bench-availability seeds its own database: SQLite by default, or PostgreSQL with
# make bench-availability BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic_bench
BENCH_DATABASE_URL ?= sqlite:///$(CURDIR)/.bench.sqlite3
BENCH_ENV := DJANGO_DEBUG=false DJANGO_SECRET_KEY=benchmark-only-not-secret \
	DATABASE_URL=$(BENCH_DATABASE_URL)
bench-availability: $(STAMPS)/dev node_modules/.package-lock.json
	$(BENCH_ENV) $(BIN)/python manage.py collectstatic --no-input --verbosity 0
	$(BENCH_ENV) $(BIN)/python manage.py bench_availability

# The benchmark of the issue's targets, on PostgreSQL: first each page through Django's whole
# stack against the floor page, call by call (bench_availability), then the load benchmark:
# gunicorn + whitenoise with DEBUG off, wrk, the floor run before each scenario (bench_load).
# Both use the same seeded data set, and Redis as the shared cache. Options of the load part go
# through BENCH_ARGS, e.g.
# make bench BENCH_ARGS="--seconds 20 --workers 3". The last line is bench_load's JSON object.
# The shared cache is Redis, as production's must be (its own database number, 7, which the
# benchmark may empty).
BENCH_LOAD_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/clinic_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/7
BENCH_LOAD_ENV := DJANGO_DEBUG=false DJANGO_SECRET_KEY=benchmark-only-not-secret \
	DJANGO_READ_DOT_ENV=false DATABASE_URL=$(BENCH_LOAD_DATABASE_URL) \
	REDIS_URL=$(BENCH_REDIS_URL) CACHE_KEY_PREFIX=bench
bench: $(STAMPS)/dev node_modules/.package-lock.json
	@command -v wrk >/dev/null || { echo "make bench needs wrk: apt-get install -y wrk"; exit 1; }
	@redis-cli -u $(BENCH_REDIS_URL) ping >/dev/null 2>&1 || { \
		echo "make bench needs Redis at $(BENCH_REDIS_URL): apt-get install -y redis-server"; exit 1; }
	$(BENCH_LOAD_ENV) $(BIN)/python manage.py collectstatic --no-input --verbosity 0
	$(BENCH_LOAD_ENV) $(BIN)/python manage.py bench_availability
	$(BENCH_LOAD_ENV) $(BIN)/python manage.py bench_load $(BENCH_ARGS)

check-deploy: $(STAMPS)/runtime node_modules/.package-lock.json
	DJANGO_DEBUG=false DJANGO_SECRET_KEY=$$(openssl rand -hex 32) $(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) $(STAMPS) node_modules staticfiles .test-db.sqlite3*
