# toastguard: `make run` and `make test` from a fresh clone (Python >= 3.11, Node 20).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test mutants mutation clean

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

# The whole suite under the Hypothesis `ci` profile on two workers (pytest-xdist), with 100 % line and branch
# coverage of safety/ enforced; the proofs, once (the suite's own run of them is the
# `full_proof` test, left to this step); then mutation testing of safety/ and the safety
# report from those results (it fails on a failed named test, an unproven invariant or a
# mutant that survived without a reason in safety/MUTANTS.md).
test: install
	HYPOTHESIS_PROFILE=ci $(PY) -m pytest -p no:cacheprovider -n 2 --dist worksteal -m "not full_proof" \
		--cov=safety --cov-branch --cov-report=term-missing --cov-fail-under=100 --junitxml=build/junit.xml
	$(VENV)/bin/toastguard prove --json build/proofs.json
	$(MAKE) --no-print-directory mutants
	$(VENV)/bin/toastguard report --junit build/junit.xml --proofs build/proofs.json --record-mutation mutants \
		--out build/report

# Mutation testing of safety/ (mutmut, [tool.mutmut] in pyproject.toml) under the
# Hypothesis `mutation` profile; every mutant must be killed or be listed as equivalent in
# safety/MUTANTS.md. ~7 min on 2 cores. `make mutation` also records the results in
# safety/MUTATION.json (commit it) and renders the report.
mutants: install
	rm -rf mutants
	HYPOTHESIS_PROFILE=mutation $(VENV)/bin/mutmut run --max-children 2

mutation: mutants
	$(VENV)/bin/toastguard report --record-mutation mutants --out build/report

clean:
	rm -rf $(VENV) node_modules .hypothesis .coverage *.egg-info mutants
