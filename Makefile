# Sightline: `make run` (set up and start on the demo data), `make test`, `make bench`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
export SIGHTLINE_DB ?= data/sightline.duckdb

.PHONY: run test bench setup test-setup clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

setup: $(VENV)/.installed

run: setup
	$(PY) -m intel demo --if-empty
	$(PY) -m streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT) --server.headless true

# Debian's chromium for the browser tests (Playwright cannot download browsers here).
test-setup: $(VENV)/.installed-test
	@if [ ! -x /usr/bin/chromium ]; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing and apt is not usable: browser tests will be skipped"; fi; \
	fi

test: test-setup
	$(PY) -m pytest -q tests

bench: $(VENV)/.installed-test
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) data/sightline.duckdb data/sightline.duckdb.wal
