# ghostls: `make demo` and `make test` each create .venv when missing and install everything.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TORCH_VERSION ?= 2.13.0
# GPU users: make TORCH_INDEX=https://download.pytorch.org/whl/cu124 install
TORCH_INDEX ?=
STAMP := $(VENV)/.installed

.PHONY: install demo test test-python test-editor lint vsix bench clean

$(STAMP): pyproject.toml Makefile
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==$(TORCH_VERSION) $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) -m ghostls complete examples/inventory.py --line 14 --character 4

test: $(STAMP)
	$(PY) -m pytest -q -ra
	@if [ -f editor-client/package.json ]; then $(MAKE) test-editor; fi

test-editor:
	cd editor-client && npm ci --no-audit --no-fund && npm test

lint: $(STAMP)
	$(VENV)/bin/ruff check ghostls tests bench

clean:
	rm -rf $(VENV) build *.egg-info
