# Everything labbook does on a machine goes through here.
# `make demo` brings the whole stack up; `make test` runs the suite on real servers.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install infra browser fonts demo up down status test unit faults bench clean

install: $(STAMP)

# Re-install only when the dependency list changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $@

infra: install
	$(BIN)/labbook up --only infra

# The stack, then the survey's situation played on it; RESET=1 wipes the local data first.
demo: install fonts
	$(BIN)/labbook demo $(if $(RESET),--reset) $(DEMO_ARGS)

up: install fonts
	$(BIN)/labbook up

down: install
	$(BIN)/labbook down

status: install
	$(BIN)/labbook status

# tests/browser drive a real headless Chromium (Debian package `chromium`).
browser:
	test -x /usr/bin/chromium || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The PDF report's font (services/booking/insight/pdfpage.py): DejaVu Sans, Debian
# package `fonts-dejavu-core`; the booking API and the report's tests need it.
fonts:
	test -f /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core >/dev/null; }

test: infra browser fonts
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The long fault campaign (the short one is in `make test`): about 3,000 requests while
# each process is killed 20 times and the broker and PostgreSQL restart, on servers of
# its own; prints a table of faults, recoveries and invariants.
faults: infra
	$(BIN)/python -m tests.faults.campaign $(FAULTS_ARGS)

unit: install fonts
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

clean: down
	rm -rf .labbook
