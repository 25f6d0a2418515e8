# One entry point. `make` lists the targets; README's two commands are `make report` and `make test`.
# The virtual environment is created on first use and reinstalled only when pyproject.toml or the
# pinned constraints change (stamp files in .venv/).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
CONSTRAINTS := requirements/constraints.txt
UV_INSTALL := $(BIN)/uv pip install --python $(BIN)/python --compile-bytecode --quiet -c $(CONSTRAINTS)

.DEFAULT_GOAL := help
.PHONY: help report test lab clean distclean lock

help: ## List the targets
	@echo "Targets:"
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F'\t' '{printf "  make %-10s %s\n", $$1, $$2}'

$(BIN)/uv:
	@echo ">> creating $(VENV) with $$($(PYTHON) --version) and uv $(UV_VERSION)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed-%: pyproject.toml $(CONSTRAINTS) | $(BIN)/uv
	@echo ">> installing the project with extras [$*] (pinned by $(CONSTRAINTS))"
	$(UV_INSTALL) -e ".[$*]"
	@touch $@

report: $(VENV)/.installed-test ## Execute every notebook and write HTML + PDF reports to reports/
	$(BIN)/forecast report

test: $(VENV)/.installed-test ## Run the whole test suite (data, models, notebooks, reports)
	$(BIN)/python -m pytest

lab: $(VENV)/.installed-lab ## Open JupyterLab on notebooks/ with the project's kernel
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root,)

clean: ## Remove generated reports and caches (keeps .venv)
	rm -rf reports .pytest_cache
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean ## Also remove the virtual environment
	rm -rf $(VENV)

lock: | $(BIN)/uv ## Re-pin every dependency into requirements/constraints.txt (needs the registry)
	$(BIN)/uv pip compile pyproject.toml --extra test --extra lab --python-version 3.11 \
	  --no-header --no-annotate -o $(CONSTRAINTS)
