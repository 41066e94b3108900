# ghostls: `make demo` and `make test` each create .venv when missing and install everything.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TORCH_VERSION ?= 2.13.0
# GPU users: make install TORCH_INDEX=https://download.pytorch.org/whl/cu124
TORCH_INDEX ?=
STAMP := $(VENV)/.installed

.PHONY: install system-deps demo test test-python test-editor lint vsix clean

$(STAMP): pyproject.toml Makefile
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==$(TORCH_VERSION) $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

# Headless Chromium for the HTML-view tests (Debian's package; needs root and apt).
system-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing: the browser tests will be skipped (apt-get install chromium)"; fi; \
	fi

demo: $(STAMP)
	$(PY) -m ghostls complete examples/inventory.py --line 14 --character 4

test: $(STAMP) system-deps
	$(MAKE) test-python
	$(MAKE) test-editor

test-python: $(STAMP)
	$(PY) -m pytest -q -ra

test-editor: $(STAMP)
	cd editor-client && npm ci --no-audit --no-fund && npm run typecheck && npm run lint && npm test

vsix:
	cd editor-client && npm ci --no-audit --no-fund && npm run package

lint: $(STAMP)
	$(VENV)/bin/ruff check ghostls tests bench

clean:
	rm -rf $(VENV) build *.egg-info editor-client/node_modules editor-client/dist
