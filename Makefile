# itvalue: `make reports` runs every analysis on the sample data; `make test` runs the tests.
# The first run creates .venv; later runs reuse it (the stamp file tracks pyproject.toml and the lock).
# The runtime dependencies are installed at the versions in requirements.lock (`make lock` refreshes it);
# `make test-floors` and `make test-newest` run every parameter set as a user would, from a wheel installed outside
# the checkout, at the oldest versions pyproject.toml allows and at the newest releases, then the fast tests there.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
JOBS ?= 2
LOCK := requirements.lock
FLOORS_DIR ?= /tmp/itvalue-floors
NEWEST_DIR ?= /tmp/itvalue-newest
STRESS_VENV ?= /tmp/itvalue-stress-venv
DOCS_DIR ?= docs/_build

.DEFAULT_GOAL := help
.PHONY: help install reports test lint test-fast test-floors test-newest stress lock bench sample-data browser engines lab docs clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e ".[test,lab,spark,postgres]"
	$(BIN)/itvalue kernel install --sys-prefix > /dev/null
	touch $(STAMP)

install: $(STAMP) ## create .venv with the kit (locked versions), JupyterLab, the test tools and the 'itvalue' kernel

reports: $(STAMP) ## run every parameter set on the sample data into reports/ (ends with reports/index.html)
	$(BIN)/itvalue run --all -j $(JOBS)

test: $(STAMP) browser engines lint ## run the whole test suite (installs Debian chromium, Java and PostgreSQL if missing)
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup

lint: $(STAMP) ## ruff: lint and import order (configured in pyproject.toml)
	$(BIN)/ruff check src tests benchmarks tools docs

test-fast: $(STAMP) ## the tests without notebooks or browser
	$(BIN)/python -m pytest -n $(JOBS) -m "not notebook and not browser"

# What a user does, in a fresh venv outside the checkout ($(1)): install the kit's wheel with the pip options $(2),
# check that pip sees a consistent set, lay out a project with `itvalue init` (which registers the kernel the
# notebooks name), run every parameter set there (no failure allowed), then the tests selected by $(3) (a pytest
# -m expression; empty: the whole suite) on that install.
define outside
	rm -rf $(1)
	$(PYTHON) -m venv $(1)/venv
	$(1)/venv/bin/python -m pip install --quiet --upgrade pip
	$(1)/venv/bin/python -m pip wheel --quiet --no-deps --wheel-dir $(1)/dist .
	$(1)/venv/bin/python -m pip install --quiet $(2) "$$(ls $(1)/dist/itvalue-*.whl)[test,lab]"
	$(1)/venv/bin/python -m pip check
	$(1)/venv/bin/python -m pip freeze > $(1)/installed.txt
	cd $(1) && venv/bin/itvalue init project && cd project && ../venv/bin/itvalue run --all -j $(JOBS)
	$(1)/venv/bin/python -m pytest -n $(JOBS) --dist loadgroup -p no:cacheprovider $(if $(3),-m "$(3)")
endef

# The whole suite runs at requirements.lock, recent releases (make lock). At the floors and at the newest, every
# parameter set runs (notebooks and reports, through run --all) and the fast tests check the rest: the notebook and
# browser tests would run the same notebooks again, and CI must stay within its time.
test-floors: browser ## every parameter set and the fast tests from a wheel at exactly pyproject's lower bounds (tools/floors.py)
	$(PYTHON) tools/floors.py > $(FLOORS_DIR).txt
	$(call outside,$(FLOORS_DIR),-c $(FLOORS_DIR).txt,not notebook and not browser)

test-newest: browser ## every parameter set and the fast tests at the newest releases of every dependency (pip install --upgrade)
	$(call outside,$(NEWEST_DIR),--upgrade --upgrade-strategy eager,not notebook and not browser)

stress: ## the scheduled batch under load from a wheel installed outside the checkout: 3 rounds of run --all -j 2, no failure allowed
	rm -rf $(STRESS_VENV)
	$(PYTHON) -m venv $(STRESS_VENV)
	$(STRESS_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(STRESS_VENV)/bin/python -m pip wheel --quiet --no-deps --wheel-dir $(STRESS_VENV)/dist .
	$(STRESS_VENV)/bin/python -m pip install --quiet -c $(LOCK) $(STRESS_VENV)/dist/itvalue-*.whl
	$(PYTHON) tools/stress.py --itvalue $(STRESS_VENV)/bin/itvalue --rounds 3 --jobs $(JOBS)

lock: $(STAMP) ## refresh requirements.lock: exact versions of the runtime dependencies (uv pip compile)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --quiet --upgrade -o $(LOCK) --custom-compile-command "make lock"

bench: $(STAMP) ## print benchmark figures to compare between commits (installs the peers they compare with)
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e ".[bench]"
	$(BIN)/python benchmarks/run.py

docs: $(STAMP) browser ## the docs site into docs/_build/html (warning-free): guide, each analysis, API, a gallery of the reports
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e ".[docs]"
	rm -rf $(DOCS_DIR) docs/generated
	$(BIN)/python -m sphinx -W --keep-going -b html -q docs $(DOCS_DIR)/html
	@echo "Docs: $(DOCS_DIR)/html/index.html"

sample-data: $(STAMP) ## regenerate data/sample/ (deterministic; seed 42)
	$(BIN)/itvalue sample-data --out data/sample

browser: ## install Debian's headless chromium and chromedriver if they are missing (needs root)
	@command -v chromium > /dev/null && command -v chromedriver > /dev/null || { \
	  echo "Installing chromium and chromium-driver from Debian..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver > /dev/null; }

engines: ## install Debian's Java runtime (for Spark) and PostgreSQL server if they are missing (needs root)
	@command -v java > /dev/null && ls /usr/lib/postgresql/*/bin/pg_ctl > /dev/null 2>&1 || { \
	  echo "Installing default-jre-headless and postgresql from Debian..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq default-jre-headless postgresql > /dev/null; }

lab: $(STAMP) ## open JupyterLab on the notebooks (adds --allow-root when run as root, e.g. in a container)
	$(BIN)/jupyter lab notebooks/ $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

clean: ## remove generated reports (keeps .venv)
	rm -rf reports/
