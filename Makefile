# Two commands do all the set-up on a fresh machine (only Python 3, pip and make needed):
#   make start   create the environment and open the course in JupyterLab (as a learner)
#   make test    create the environment and run every test
# make instructor: JupyterLab with every file and nbgrader's instructor tools.
PYTHON ?= python3
PORT ?= 8888
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
TEST_INSTALLED := $(VENV)/.installed-test

.PHONY: start instructor test build clean

$(INSTALLED): pyproject.toml
	@# Debian's python3 may lack the venv module (package python3-venv): fall back to virtualenv.
	$(PYTHON) -m venv $(VENV) || { \
	  $(PYTHON) -m pip install --user virtualenv || \
	  $(PYTHON) -m pip install --user --break-system-packages virtualenv; \
	  $(PYTHON) -m virtualenv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# The project's own tests also drive JupyterLab in a browser (Playwright, with Debian's
# chromium: `apt-get install chromium`; without it that test is skipped and says so).
$(TEST_INSTALLED): $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

start: $(INSTALLED)
	$(BIN)/python -m graders.lab --port $(PORT)

instructor: $(INSTALLED)
	$(BIN)/python -m graders.lab --instructor --port $(PORT)

test: $(TEST_INSTALLED)
	$(BIN)/python -m pytest

build: $(INSTALLED)
	$(BIN)/python -m graders build

clean:
	rm -rf $(VENV)
