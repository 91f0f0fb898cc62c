# Development commands of itsm_service_contract (see README.rst).
# Odoo itself is not installed here: provide it (importable `odoo`, or ODOO_SRC=/path/to/odoo-18.0).
PYTHON ?= python3
DEVCTL = $(PYTHON) tools/devctl.py
export ODOO_SRC

.PHONY: run test test-module lint wheel wheel-check pot stop bench bench-instructions load alerts-load probe ha-load screenshots clean

run:  ## install what is missing, create the demo database once, serve Odoo on :8069
	$(DEVCTL) run

test:  ## fresh database, install the addon in test mode, run all its tests
	$(DEVCTL) test

test-module:  ## run another module's tests with the addon installed: make test-module M=hr_timesheet
	$(DEVCTL) test --modules $(MODULE_LIST) --tags /$(M) --db itsm_test_$(M)

MODULE_LIST = itsm_service_contract,$(M)

lint:  ## ruff and pylint-odoo (installs the pinned linters first)
	$(PYTHON) -m pip install -q -r requirements-lint.txt
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m pylint --rcfile=.pylintrc models wizards report tests controllers rules.py charts.py dashboard_rules.py access.py monitoring_rules.py fast_fields.py __init__.py __manifest__.py

wheel:  ## build the addon's wheel (odoo-addon-itsm_service_contract) into dist/
	$(PYTHON) -m pip install -q -r requirements-build.txt
	$(PYTHON) -m build --wheel --outdir dist .

wheel-check:  ## build the wheel, check its files and requirements, install the module from it in a fresh venv and database
	$(PYTHON) tools/wheel_check.py

bench:  ## benchmarks of the addon against plain Odoo (prints figures)
	$(PYTHON) tools/bench_interventions.py
	$(PYTHON) tools/bench_sla.py
	$(PYTHON) tools/bench_reversibility.py
	$(PYTHON) tools/bench_retention.py
	$(PYTHON) tools/bench_portal.py
	$(PYTHON) tools/bench_heavy.py
	$(PYTHON) tools/bench_service_desk.py
	$(PYTHON) tools/bench_knowledge.py
	$(PYTHON) tools/bench_dashboard.py
	$(PYTHON) tools/bench_mco.py
	$(PYTHON) tools/bench_bulk.py
	$(PYTHON) tools/bench_import.py
	$(PYTHON) tools/bench_instructions.py

bench-instructions:  ## a batch of 2 000 interventions vs plain lines, counted in instructions (valgrind): no noise
	$(PYTHON) tools/bench_instructions.py

screenshots:  ## screenshots of the demo (make run must be serving it) at 1 400 and 390 px, into .work/screenshots
	$(PYTHON) tools/screenshots.py $(SHOTS)

SHOTS ?= claire.moreau:portal@/my/contracts admin:admin@/odoo/action-itsm_service_contract.action_itsm_contract

load:  ## load and fault test against a real server (--workers 4, 8 clients x 200 interventions, SIGKILL)
	$(PYTHON) tools/load_test.py $(LOAD_ARGS)

probe:  ## attack a copy of the demo as a hostile client, a second client and a technician would (own server, free ports)
	$(PYTHON) tools/hostile_probe.py

alerts-load:  ## monitoring webhook under load: 2 sources x 2 replicas, 200 alerts x 5 notifications, SIGKILL, hostile payloads
	$(PYTHON) tools/alerts_load.py $(ALERTS_LOAD_ARGS)

ha-load:  ## two Odoo nodes behind HAProxy over a PostgreSQL primary and streaming replica, load and faults (not in CI)
	$(PYTHON) tools/ha_load.py $(HA_LOAD_ARGS)

pot:  ## regenerate i18n/itsm_service_contract.pot and merge it into i18n/fr.po
	$(DEVCTL) pot

stop:  ## stop the private PostgreSQL cluster
	$(DEVCTL) stop

clean: stop
	rm -rf .work
