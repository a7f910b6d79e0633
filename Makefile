# Two commands on a fresh machine with Python 3.11:
#   make run    set up, migrate, create the demo event and serve it on http://127.0.0.1:5000
#   make test   set up and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-postgres setup lint clean assets translations check-translations screenshots

$(BIN)/openspace: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

setup: $(BIN)/openspace
	@$(BIN)/python -m openspace.i18n compile

run: setup
	$(BIN)/openspace db upgrade
	$(BIN)/openspace demo
	$(BIN)/openspace serve --host $(HOST) --port $(PORT)

# The suite runs in one worker more than the cores (pytest-xdist; JOBS=0: in this one process):
# the browser and live-server tests spend much of their time waiting, so a third worker on a
# 2-core box took make test from 10:20 to 8:58 (docs/architecture.md, Testing). Tests that share a
# module's live server, browser or template database stay on one worker (tests/conftest.py).
JOBS ?= $(shell echo $$(( $$(nproc) + 1 )))
XDIST := -n $(JOBS) --dist loadgroup
# Compiled bytecode is kept: without it every worker and every server a test starts compiles
# the whole app (and pytest rewrites every test module) again, on each run.
unexport PYTHONDONTWRITEBYTECODE

test: setup node_modules/.package-lock.json
	$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS)

# Node packages some tests use (ical.js and node-ical read our calendar feeds). Without npm
# those tests are skipped, except in CI (CI=true), where they fail.
node_modules/.package-lock.json: package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund; \
	else echo "npm not found: tests that need Node.js packages will be skipped"; fi

# The database's tests again on PostgreSQL (CI runs this too; needs a server at PG_URL; each
# worker makes its own database next to it, test_gw0, test_gw1...). A test is the database's
# when the database decides its outcome: migrations, the domain's transactions and locks, races
# (concurrent claims, note writers, mail workers' SKIP LOCKED), faults inside a commit, input
# the database itself refuses (NUL, column limits, the API fuzz), backup import/export. They
# carry the `database` mark (docs/architecture.md, Testing); everything else (pages, API and
# socket surface, permissions, rendering, browsers) runs once, on SQLite, in `make test`. The scale-out tests (tests/scaleout: server
# processes on PostgreSQL + Redis, behind nginx, with faults) run only here.
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
test-postgres: setup node_modules/.package-lock.json
	OPENSPACE_TEST_DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest $(XDIST) -m database \
		$(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/python -m openspace.i18n check

# Languages (docs/translating.md): extract the wrapped texts into translations/messages.pot,
# merge them into every catalog, compile; the check fails on an out-of-date or incomplete one.
translations: setup
	$(BIN)/python -m openspace.i18n update

check-translations: setup
	$(BIN)/python -m openspace.i18n check

clean:
	rm -rf $(VENV) instance .pytest_cache

# Front-end bundle (needs Node.js + npm; the built files in static/js are committed).
assets:
	npm ci --no-audit --no-fund
	npm run build

# The main pages at 375 px and 1920 px, light and dark, as each role sees them, into
# screenshots/ (git-ignored): look at them after changing a page. Needs chromium.
screenshots: setup
	$(BIN)/python -m tests.browser.screenshots --out screenshots
