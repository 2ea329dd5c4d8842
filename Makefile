# Huiyin: two commands on a fresh machine with Python 3.11 — `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha256sum requirements.txt | cut -c1-12)

.PHONY: bootstrap run demo-reset test lint bench bench-statistics bench-growth bench-load bench-scale bench-search

# Create the virtualenv and install the pinned requirements (again only when they change).
$(STAMP): requirements.txt
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11) and "Python 3.11 is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

bootstrap: $(STAMP)

# Migrate the embedded SQLite database, deploy workflows/, load demo data once,
# then serve the web app and the scheduler on http://127.0.0.1:5000.
run: bootstrap
	$(BIN)/python run.py

# Empty the embedded SQLite demo and load it afresh (stop `make run` first); refused for any
# other database unless `$(BIN)/flask --app run.py demo-reset --yes`.
demo-reset: bootstrap
	$(BIN)/flask --app run.py demo-reset

# The whole suite: SQLite always, PostgreSQL too when TEST_DATABASE_URL is set; TEST_WORKERS
# processes (pytest-xdist), each with its own database.
TEST_WORKERS ?= 2
test: bootstrap
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

lint: bootstrap
	$(BIN)/ruff check .

bench: bootstrap
	$(BIN)/python bench/engine.py --backend both

# Statistics at city scale (bench/README.md): fills PostgreSQL once (DATABASE_URL, else the local
# database bench_statistics) with three years of a city, then measures every endpoint.
bench-statistics: bootstrap
	$(BIN)/python bench/statistics.py

# Issue 15: one step's time and state size as a complaint case loops (20 send-backs, escalation to
# the city), with and without pruning the saved task tree; SQLite and the local database bench_growth.
bench-growth: bootstrap
	$(BIN)/python bench/state_growth.py

# Load run of the production shape (bench/README.md): PostgreSQL `bench_load` (populated once),
# gunicorn with 4 workers and a scheduler on a free local port, 60 requests/s for 3 minutes.
bench-load: bootstrap
	$(BIN)/python bench/load.py

# Case text search at 3,000,000 cases (bench/README.md): words with their index against ILIKE;
# PostgreSQL `bench_search` (filled once).
bench-search: bootstrap
	$(BIN)/python bench/search.py

# Every list and page at 3,000,000 requests (bench/README.md, "Scale"): fills the local database
# bench_scale (or BENCH_SCALE_DATABASE_URL) once, then measures each role's inbox, case list, case
# page and searches; `make bench-scale ARGS="--cases 300000"` for a trial.
bench-scale: bootstrap
	$(BIN)/python bench/scale.py $(ARGS)
