# Two commands on a fresh machine with Python 3.11:
#   make run    set up, migrate, create the demo event and serve it on http://127.0.0.1:5000
#   make test   set up and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test test-postgres setup lint clean assets

$(BIN)/openspace: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

setup: $(BIN)/openspace

run: setup
	$(BIN)/openspace db upgrade
	$(BIN)/openspace demo
	$(BIN)/openspace serve --host $(HOST) --port $(PORT)

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The database-backed tests again on PostgreSQL (CI runs this too; needs a server at PG_URL),
# and the scale-out tests: server processes on PostgreSQL + Redis, behind nginx, with faults.
PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
test-postgres: setup
	OPENSPACE_TEST_DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest tests/domain tests/api \
		tests/web tests/sockets/test_board_events.py tests/test_migrations.py \
		tests/notes/test_notes_domain.py tests/notes/test_note_events.py \
		tests/notes/test_notes_api.py tests/notes_render tests/summary tests/test_cli.py \
		tests/security/test_sessions.py tests/security/test_headers_cookies.py \
		tests/security/test_csrf.py tests/security/test_xss.py tests/security/test_faults.py \
		tests/security/test_api_fuzz.py \
		tests/scaleout $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache

# Front-end bundle (needs Node.js + npm; the built files in static/js are committed).
assets:
	npm ci --no-audit --no-fund
	npm run build
