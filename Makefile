# The two commands of the README: `make demo` and `make test`. Everything else is a helper.
#   make test                      lint (ruff, mypy) + the whole suite on SQLite, then on PostgreSQL
#   make test PY=3.12 DJANGO='Django>=6,<7'   the same in a venv of that Python and Django
#   make demo                      the demo site on http://127.0.0.1:8000 (SQLite)
#   make docs                      the documentation in docs/_build/html (warnings are errors)
#   make bench                     benchmarks/
#   make messages                  the translation catalogs, after a user-visible string changed

PY ?= 3
DJANGO ?= Django>=5.2,<7
VENV ?= .venv$(if $(filter 3,$(PY)),,-py$(PY))
PYTHON := $(shell scripts/find-python $(PY) 2>/dev/null)
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell echo '$(DJANGO)' | md5sum | cut -c1-8)

.PHONY: test test-sqlite test-postgres test-yubikey lint docs demo bench messages clean

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python $(PY) was not found" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' '$(DJANGO)'
	# django-otp-yubikey declares the old django-otp as a dependency, which would replace our
	# django_otp: install it without dependencies (its own are in our [yubikey] extra).
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps 'django-otp-yubikey>=1.1'
	rm -f $(VENV)/.installed-*
	touch $@

test: lint docs test-sqlite test-postgres

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

# The Sphinx site (docs/); any warning fails the build.
docs: $(STAMP)
	$(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

test-sqlite: $(STAMP) test-yubikey
	@$(BIN)/python -c 'import django, sys; print(f"== SQLite: Python {sys.version.split()[0]}, Django {django.__version__}")'
	$(BIN)/python -m pytest
	@echo "== SQLite, device secrets encrypted at rest (tests/settings_encrypted.py)"
	$(BIN)/python -m pytest -q --ds=tests.settings_encrypted tests/django_otp tests/two_factor/plugins/phonenumber

# django-otp-yubikey's own test suite, against our django_otp (scripts/yubikey-suite).
test-yubikey: $(STAMP)
	scripts/yubikey-suite $(BIN)/python

# Under CI=true a PostgreSQL run that cannot happen is a failure; elsewhere it is skipped, loudly.
test-postgres: $(STAMP)
	@if scripts/postgres-ready $(BIN)/python; then \
		$(BIN)/python -c 'import django, sys; print(f"== PostgreSQL: Python {sys.version.split()[0]}, Django {django.__version__}")'; \
		TWOFOLD_DB=postgres $(BIN)/python -m pytest; \
	elif [ "$$CI" = "true" ]; then \
		echo "FAILED: PostgreSQL is required under CI=true but does not answer" >&2; exit 1; \
	else \
		echo "SKIPPED: the PostgreSQL run (no server answers on 127.0.0.1:5432; see README)"; \
	fi

demo: $(STAMP)
	$(BIN)/python example/manage.py migrate --noinput
	$(BIN)/python example/manage.py demo_account
	$(BIN)/python example/manage.py runserver 127.0.0.1:8000

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# After a user-visible string changed: regenerate every catalog, translate, then run it again.
messages: $(STAMP)
	$(BIN)/python scripts/messages

clean:
	rm -rf .venv .venv-py* build dist src/*.egg-info .pytest_cache .ruff_cache
