# The two commands a newcomer needs: `make run` and `make test`. Each sets up what it needs.
PROJECT ?= jam-and-justice
VENV    ?= .venv
PY      := $(VENV)/bin/python

CRON    ?= 0 6 * * *

# Prefect keeps its home, database, server pid and log inside the project, never in the user's home.
# The local server listens on 127.0.0.1:$PREFECT_PORT (default 4200); `make run` starts it on first use.
export PREFECT_HOME := $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: run stop serve test setup system-packages bench clean

$(VENV)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

# Fonts (fonts-liberation, fonts-dejavu-core), fontconfig, cairo, and chromium for the browser tests.
system-packages:
	@scripts/ensure-system-packages.sh

setup: $(VENV)/.installed system-packages

# The flow on the local Prefect server (started in the background on first use, then reused);
# prints the UI address. Same as: .venv/bin/infopipe run $(PROJECT) --prefect
run: setup
	$(PY) flows/build_infographic.py $(PROJECT)

# Stop the local Prefect server that `make run` started.
stop:
	@if [ -x $(PY) ]; then $(PY) -m infopipe.cli server stop; else echo "No $(VENV), so no server to stop"; fi

# Rebuild on a schedule from this one process (Ctrl-C ends it). For workers, see `infopipe schedule`.
serve: setup
	$(PY) -m infopipe.cli serve $(PROJECT) --cron "$(CRON)"

test: setup
	$(PY) -m pytest

bench: setup
	$(PY) benchmarks/bench_incremental.py $(PROJECT) --flow

clean:
	rm -rf data/processed/$(PROJECT) outputs/$(PROJECT)
