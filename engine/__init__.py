"""Lienzo's style-transfer engine.

Importing ``engine`` is cheap (no keras): the bot imports the queue contract
from here.  ``engine.stylize`` and friends load Keras on first use.
"""

_LAZY = {
    "stylize": "engine.transfer",
    "Engine": "engine.transfer",
    "Progress": "engine.transfer",
    "Result": "engine.transfer",
    "StyleParams": "engine.params",
}

__all__ = list(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
