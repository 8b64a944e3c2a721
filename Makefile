# Two commands do all the set-up on a fresh machine (only Python 3, pip and make needed):
#   make start   create the environment and open the course in JupyterLab
#   make test    create the environment and run every test
PYTHON ?= python3
PORT ?= 8888
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: start test build clean

$(INSTALLED): pyproject.toml
	@# Debian's python3 may lack the venv module (package python3-venv): fall back to virtualenv.
	$(PYTHON) -m venv $(VENV) || { \
	  $(PYTHON) -m pip install --user virtualenv || \
	  $(PYTHON) -m pip install --user --break-system-packages virtualenv; \
	  $(PYTHON) -m virtualenv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# JupyterLab refuses to run as root unless told (containers, CI machines).
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

start: $(INSTALLED)
	$(BIN)/jupyter lab --no-browser --ip 127.0.0.1 --port $(PORT) $(ALLOW_ROOT) \
	  --ServerApp.root_dir="$(CURDIR)" --LabApp.default_url=/lab/tree/README.md

test: $(INSTALLED)
	$(BIN)/python -m pytest

build: $(INSTALLED)
	$(BIN)/python -m graders build

clean:
	rm -rf $(VENV)
