# Two commands: `make run` (set up, then serve /try and the staff console on SQLite) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run chat test setup system-deps check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/scrum-bot catalogue check
	@echo "Try the bot:   http://127.0.0.1:8080/try"
	@echo "Staff console: http://127.0.0.1:8080/staff  (first: $(BIN)/scrum-bot staff add NAME --department dept_fukushi_somu --role admin)"
	$(BIN)/scrum-bot serve

# The same dialogue in this terminal (numbered choices), no server, no network.
chat: $(STAMP)
	$(BIN)/scrum-bot chat

# Debian packages some tests drive for real: chromium (browser tests; Playwright cannot download its
# own browser here) and nginx-light (the two-replica reverse-proxy test). Installed when run as root.
SYSTEM_PKGS := chromium nginx-light
system-deps:
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing="$$missing nginx-light"; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	    else echo "missing Debian packages:$$missing (sudo apt-get install$$missing); their tests are skipped outside CI"; fi; \
	  fi

check: $(STAMP)
	$(BIN)/scrum-bot catalogue check

test: $(STAMP) system-deps
	$(BIN)/scrum-bot catalogue check
	$(BIN)/python -m pytest -q -p no:cacheprovider

clean:
	rm -rf $(VENV) var
