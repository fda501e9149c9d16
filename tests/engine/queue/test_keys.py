"""The key names (engine/queue/keys.py) are the contract between bot and workers."""

from __future__ import annotations

import pytest

from engine import queue as q
from engine.queue import keys


def test_key_names_are_the_contract():
    assert keys.progress_key("j1") == "progress:j1"
    assert keys.preview_key("j1") == "preview:j1"
    assert keys.cancel_key("j1") == "cancel:j1"
    assert keys.worker_key("gpu-1") == "worker:gpu-1"
    assert keys.result_key("j1") == "result:j1"
    assert keys.spec_key("j1") == "spec:j1"
    with pytest.raises(q.BadPayload):
        keys.progress_key("j1:../x")
