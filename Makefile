# SurveyApp: `make run` to start it, `make test` to test it. Both set themselves up.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app surveyapp
HOST ?= 127.0.0.1
PORT ?= 5000
# Debian packages the test suite needs beyond Python (installed with apt-get when missing):
# Chromium for the browser tests (never `playwright install`), a CJK font so that
# screenshots and PDFs show Chinese, WeasyPrint's Pango, poppler to read PDFs back, and
# LibreOffice to turn the Word reports into pages for a look.
DEBIAN_TEST_PACKAGES ?= chromium fonts-wqy-microhei fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 poppler-utils \
	libreoffice-writer-nogui

AXE := tests/js/node_modules/axe-core/axe.min.js

.PHONY: run test install bench debian-packages report-fonts clean

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

debian-packages:
	@missing=""; for p in $(DEBIAN_TEST_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    -o DPkg::Lock::Timeout=600 --no-install-recommends $$missing; fi

# Reports (Word, PDF, charts) need a CJK font: installed with apt-get when missing and possible.
REPORT_FONT_PACKAGES ?= fonts-noto-cjk

report-fonts:
	@dpkg-query -W -f='$${Status}' $(REPORT_FONT_PACKAGES) 2>/dev/null | grep -q "ok installed" || \
	  $(MAKE) debian-packages DEBIAN_TEST_PACKAGES="$(REPORT_FONT_PACKAGES)" || \
	  echo "warning: could not install $(REPORT_FONT_PACKAGES); reports need a CJK font (see docs/reports.md)"

run: $(STAMP) report-fonts
	$(FLASK) db upgrade
	$(FLASK) questionnaire import questionnaires/
	$(FLASK) user ensure-admin
	@echo "Survey links:"
	@SURVEYAPP_PUBLIC_URL=http://$(HOST):$(PORT) $(FLASK) questionnaire list --links
	$(FLASK) run --host $(HOST) --port $(PORT)

# axe-core (the accessibility check in the browser tests) comes from the npm registry.
$(AXE): tests/js/package.json
	command -v npm >/dev/null || $(MAKE) debian-packages DEBIAN_TEST_PACKAGES="nodejs npm"
	cd tests/js && npm install --no-audit --no-fund --no-package-lock --silent
	touch $(AXE)

test: $(STAMP) debian-packages $(AXE)
	node --test tests/js/
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/intake.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
