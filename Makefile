# toastguard: `make run` and `make test` from a fresh clone (Python >= 3.11, Node 20).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test mutation clean

NODE_STAMP := node_modules/.installed-stamp
# MicroPython's own type stubs for the board code (tests/mypy-board.ini), kept apart from
# the venv's packages because they replace the standard library's.
RP2_STUBS := micropython-rp2-rpi_pico-stubs==1.27.0.post1
STUBS_STAMP := $(VENV)/rp2-stubs/.installed-stamp

install: $(STAMP) $(NODE_STAMP) $(STUBS_STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The MicroPython VM (WebAssembly) the tests run the board code on, pinned by the lock.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $(NODE_STAMP)

$(STUBS_STAMP): $(STAMP) Makefile
	rm -rf $(VENV)/rp2-stubs
	$(PY) -m pip install --quiet --target $(VENV)/rp2-stubs '$(RP2_STUBS)'
	touch $(STUBS_STAMP)

run: install
	$(VENV)/bin/toastguard sim

# The whole suite under the Hypothesis `ci` profile, with 100 % line and branch
# coverage of safety/ enforced; then the safety report from those test results.
test: install
	HYPOTHESIS_PROFILE=ci $(PY) -m pytest -p no:cacheprovider --cov=safety --cov-branch \
		--cov-report=term-missing --cov-fail-under=100 --junitxml=build/junit.xml
	$(VENV)/bin/toastguard report --junit build/junit.xml --out build/report

# Mutation testing of safety/ (mutmut, [tool.mutmut] in pyproject.toml): every mutant
# must be killed or be listed as equivalent in safety/MUTANTS.md; the results are recorded
# in safety/MUTATION.json for the report. Outside `make test`.
mutation: install
	rm -rf mutants
	HYPOTHESIS_PROFILE=mutation $(VENV)/bin/mutmut run --max-children 2
	$(VENV)/bin/toastguard report --record-mutation mutants --out build/report

clean:
	rm -rf $(VENV) node_modules .hypothesis .coverage *.egg-info mutants
