# The two commands a newcomer needs: `make run` and `make test`. Both work on a fresh
# machine with only python3: the virtual environment is made and filled on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstall only when pyproject.toml changed since the last install.
STAMP := $(VENV)/.installed
# Extra pytest arguments: make test ARGS="-k simulator -x"
ARGS ?=

.PHONY: run test messages venv bench

run: venv
	$(BIN)/python scripts/dev.py

test: venv
	scripts/services-up.sh
	$(BIN)/ruff check app tests scripts
	$(BIN)/python -m pytest $(ARGS)

# Benchmarks (bench/): webhooks, broadcast, accept race, growth, profile; ~15 minutes.
# Uses PostgreSQL and Redis on 127.0.0.1 when they answer (starting them if installed but
# stopped), else SQLite and an embedded Redis; says which. Results in bench/results/.
# One benchmark alone: .venv/bin/python -m bench.webhooks sms (see bench/run_all.py).
bench: venv $(VENV)/.installed-bench
	CHROMIUM=skip scripts/services-up.sh
	$(BIN)/python -m bench.run_all $(ARGS)

$(VENV)/.installed-bench: pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,test,bench]'
	@touch $@

# Extract messages from code and flows, then merge them into every language's catalog.
# (The app compiles the .po catalogs in memory when it starts: there is no .mo to build.)
messages: venv
	$(BIN)/pybabel extract -F babel.cfg -k N_ --add-comments=flows -o locales/messages.pot .
	$(BIN)/pybabel update -i locales/messages.pot -d locales --no-fuzzy-matching --ignore-obsolete

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,test]'
	@touch $@
