# transship: the two commands of the README, and the checks CI runs.
# `make demo`  sets up what transship needs (no test tools, no Spark) and runs the demo on the
#              shipped Serbia case; the demo ends with the commands to type next.
# `make test`  sets everything up (dev tools, the Spark extra) and runs lint, types and the
#              whole test suite.

SHELL := /bin/bash
export PATH := $(HOME)/.local/bin:$(PATH)
# uv from PATH, or as a module where pip put it off PATH; resolved when a recipe runs,
# i.e. after `setup` has installed it.
UV = $(shell command -v uv >/dev/null 2>&1 && echo uv || echo python3 -m uv)
RUN = $(UV) run --locked

.PHONY: setup setup-demo demo test lint typecheck pytest bench-smoke bench docs-check

setup:
	@./scripts/bootstrap dev

setup-demo:
	@./scripts/bootstrap demo

# --no-dev: `uv run` would otherwise install the dev group (pyspark among it) first.
demo: setup-demo
	$(RUN) --no-dev transship demo

lint: setup
	$(RUN) ruff check transship tests benchmarks
	$(RUN) ruff format --check transship tests benchmarks

typecheck: setup
	$(RUN) mypy transship

# pytest's exit code 5 means "no tests collected": that is a failure here, never a pass.
pytest: setup
	@set +e; $(RUN) pytest -q -p no:cacheprovider; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing on purpose" >&2; exit 1; fi; exit $$rc

test: lint typecheck pytest

bench-smoke: setup
	$(RUN) python benchmarks/ingest.py --smoke
	$(RUN) python benchmarks/flows.py --smoke
	$(RUN) python benchmarks/serve.py --smoke
	$(RUN) python benchmarks/screen.py --smoke --reference-budget 60
	$(RUN) python benchmarks/outlook.py --smoke
	$(RUN) python benchmarks/resolve.py --smoke

bench: setup
	$(RUN) python benchmarks/ingest.py
	$(RUN) python benchmarks/flows.py
	$(RUN) python benchmarks/serve.py
	$(RUN) python benchmarks/screen.py
	$(RUN) python benchmarks/outlook.py
	$(RUN) python benchmarks/resolve.py
