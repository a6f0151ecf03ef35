# The two commands a newcomer needs: `make run` and `make test`. Both work on a fresh
# machine with only python3: the virtual environment is made and filled on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstall only when pyproject.toml changed since the last install.
STAMP := $(VENV)/.installed
# Extra pytest arguments: make test ARGS="-k simulator -x"
ARGS ?=

.PHONY: run test messages venv

run: venv
	$(BIN)/python scripts/dev.py

test: venv
	scripts/services-up.sh
	$(BIN)/ruff check app tests scripts
	$(BIN)/python -m pytest $(ARGS)

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
