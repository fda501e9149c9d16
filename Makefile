# The two commands the README promises: `make run` and `make test`.
# Each creates .venv if missing and installs what it needs into it.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STYLE  ?= starry_night
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

# For now the product is the engine: paint scikit-image's sample photo.
# Needs the network once (VGG19 ImageNet weights, the painting), or see README.
run: $(STAMP)
	mkdir -p data
	$(PY) -c "from skimage import data; from PIL import Image; \
	Image.fromarray(data.astronaut()).save('data/astronaut.jpg')"
	$(VENV)/bin/lienzo paint data/astronaut.jpg --style $(STYLE) -o data/astronaut-$(STYLE).jpg

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) bench/engine.py

clean:
	rm -rf $(VENV) build *.egg-info
