# The two commands a newcomer needs: `make run` and `make test`. Each sets up what it needs.
PROJECT ?= jam-and-justice
VENV    ?= .venv
PY      := $(VENV)/bin/python

# Prefect keeps its home and database inside the project, never in the user's home.
export PREFECT_HOME := $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_UI_ENABLED := false
# A cold temporary server builds its database first (18 s measured here); Prefect's default wait is 20 s.
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 120

.PHONY: run test setup system-packages bench clean

$(VENV)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

# Fonts (fonts-liberation, fonts-dejavu-core), fontconfig, cairo, and chromium for the browser tests.
system-packages:
	@scripts/ensure-system-packages.sh

setup: $(VENV)/.installed system-packages

run: setup
	$(PY) flows/build_infographic.py $(PROJECT)

test: setup
	$(PY) -m pytest

bench: setup
	$(PY) benchmarks/bench_run.py $(PROJECT)

clean:
	rm -rf data/processed/$(PROJECT) outputs/$(PROJECT)
