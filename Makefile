# The two commands the README promises: `make run` and `make test`.
# Each creates .venv if missing and installs what it needs into it.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STYLE  ?= starry_night
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run paint test redis chromium bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

# The product: the bot with one local engine worker on the embedded SQLite queue.
# Needs TELEGRAM_BOT_TOKEN; says what else is missing (VGG19 weights...) if anything.
run: $(STAMP)
	$(VENV)/bin/lienzo bot

# The engine alone: paint scikit-image's astronaut photo (make paint STYLE=great_wave).
paint: $(STAMP)
	mkdir -p data
	$(PY) -c "from skimage import data; from PIL import Image; \
	Image.fromarray(data.astronaut()).save('data/astronaut.jpg')"
	$(VENV)/bin/lienzo paint data/astronaut.jpg --style $(STYLE) -o data/astronaut-$(STYLE).jpg

# The queue tests need a real redis-server; install it where it is missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
redis:
	command -v redis-server >/dev/null || \
	  ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq redis-server >/dev/null)

# The studio's browser tests drive Debian's chromium with Playwright (Playwright's
# own browser download needs more of the internet than pip and apt).
chromium:
	command -v chromium >/dev/null || \
	  ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null)

test: $(STAMP) redis chromium
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m bench.engine_speed

clean:
	rm -rf $(VENV) build *.egg-info
