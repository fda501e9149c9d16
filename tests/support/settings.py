"""Settings for tests that call library functions directly, built as an entry point
builds them (docs/architecture.md, "Settings": no library function reads the
environment): from the test's environment, which the fixtures set, with any
field changed by keyword."""

from __future__ import annotations

import dataclasses
from typing import Any

from engine import config
from engine.catalogue.styles import Style, load_catalog
from engine.config import EngineSettings


def engine_settings(**changes: Any) -> EngineSettings:
    """``engine.config.load()`` now, with ``changes`` applied."""
    return dataclasses.replace(config.load(), **changes)


def catalogue() -> dict[str, Style]:
    """The catalogue as the settings now say (``LIENZO_STYLES_DIR``, the data dir)."""
    settings = config.load()
    return load_catalog(settings.styles_dir, settings.style_cache_dir)
