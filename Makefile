# Two commands on a fresh machine: `make run` (install + serve) and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test bench check catalogs browser wrk

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP) catalogs

catalogs: $(STAMP)
	$(BIN)/pybabel compile -q -d locales -D messages --statistics 2>/dev/null || $(BIN)/pybabel compile -d locales -D messages

run: install
	$(BIN)/python -m bot serve

# Debian's chromium drives the dashboard tests; installed here so a fresh machine needs nothing by hand.
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

check: install
	$(BIN)/ruff check .
	$(BIN)/python -m bot content check

test: install browser
	$(BIN)/ruff check .
	$(BIN)/python -m bot content check
	$(BIN)/python -m pytest -q -n auto --dist loadfile

# Debian's wrk drives the webhook benchmark (bench/sms_wrk.py); installed here, never by hand.
wrk:
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

bench: install wrk
	$(BIN)/python -m bench

# after adding or changing UI strings: refresh the template and every catalog, then translate
messages: $(STAMP)
	$(BIN)/pybabel extract -F locales/babel.cfg --add-comments=TRANSLATORS: -k N_ -k _ -k gettext -k ngettext:1,2 --no-wrap --sort-by-file --project safe-migration-bot -o locales/messages.pot .
	$(BIN)/pybabel update -D messages -i locales/messages.pot -d locales --no-wrap --ignore-obsolete
