"""``python -m engine.cli``: the same command line as ``lienzo`` (the bot starts its
local workers this way, with its own interpreter)."""

import sys

from engine.cli import main

sys.exit(main())
