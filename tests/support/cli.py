"""``lienzo`` run as a person runs it: ``python -m engine.cli`` in a subprocess, with
random VGG19 weights."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support.workers import REPO


def lienzo(*args: object, env_extra: dict[str, str] | None = None,
           timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LIENZO_VGG19_WEIGHTS": "random", **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=timeout, cwd=REPO)
