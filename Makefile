# Two commands on a fresh machine: `make demo` and `make test`.
# Both create .venv and install the project into it first (once).
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test install clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/ballsense demo $(ARGS)

# test workers: most tests wait on the emulated ball or a browser, so more than the 2 cores;
# at 4 the timing tests (the phone view's 10 frames a second, a short alert seen) failed now and then
JOBS ?= 3

test: $(STAMP)
	$(VENV)/bin/python -m pytest -q -n $(JOBS) $(ARGS)

clean:
	rm -rf $(VENV) *.egg-info
