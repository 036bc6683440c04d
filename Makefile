# The two commands of the README: `make campaign` (the main job) and `make test`.
PY := .venv/bin/python

.PHONY: bootstrap campaign stack test test-slow lint bench validate validate-faults

bootstrap:
	@bash .ci/bootstrap

campaign: bootstrap
	$(PY) run_campaign.py campaigns/smoke.toml

stack: bootstrap
	$(PY) -m reference_app up --size default

# Unit tests are CPU only: one process per core. The rest run real servers under load
# and measure them, so one at a time (two at once fail on timing), and the end-to-end
# runs in a session of their own: no stack a fixture keeps for the session shares the
# host with the load they measure.
test:
	@bash .ci/bootstrap --test
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m pytest -n auto tests/unit
	$(PY) -m pytest tests/integration
	$(PY) -m pytest tests/e2e

test-slow:
	@bash .ci/bootstrap --test
	$(PY) -m pytest -m slow

lint: bootstrap
	$(PY) -m ruff check .
	$(PY) -m mypy

bench:
	@bash .ci/bootstrap --bench
	$(PY) bench/collector_overhead.py
	$(PY) bench/analysis_scaling.py
	$(PY) bench/generator_efficiency.py
	$(PY) bench/generator_capacity.py
	$(PY) bench/reference_capacity.py
	$(PY) bench/reference_capacity.py --app laravel
	$(PY) bench/laravel_pages.py
	$(PY) bench/live_accuracy.py

# Both apps' knob matrices, the second even when the first has a wrong case; fails if either does.
validate: bootstrap
	$(PY) -m harness.validate --app python; python_rc=$$?; \
	$(PY) -m harness.validate --app laravel && exit $$python_rc

# Faults injected from outside a running stack: Python, Laravel, Laravel on MariaDB; fails if
# any has a wrong case.
validate-faults: bootstrap
	$(PY) -m harness.faults --app python; python_rc=$$?; \
	$(PY) -m harness.faults --app laravel; laravel_rc=$$?; \
	$(PY) -m harness.faults --app laravel --db mariadb && exit $$(( python_rc || laravel_rc ))
