"""One spec painted on the worker (engine/worker/painting.py): a clip's time limit
grows with its frames, up to a cap.  Clips painted end to end: tests/e2e/test_clips.py."""

from __future__ import annotations

import pytest

from engine.params import StyleParams
from engine.worker.painting import CLIP_LIMIT_CAP, clip_time_limit


def test_a_clips_time_limit_scales_with_its_frames_and_is_capped():
    params = StyleParams(quality="fast", size=48)
    assert clip_time_limit(params, 1, 48, 32, 100.0) == pytest.approx(100.0)
    assert 100.0 < clip_time_limit(params, 10, 48, 32, 100.0) < 100.0 * CLIP_LIMIT_CAP
    assert clip_time_limit(params, 10_000, 48, 32, 100.0) == 100.0 * CLIP_LIMIT_CAP
