"""The backend's GPU side (engine/core/backend.py) with TensorFlow's device API answering
as on a machine with two H100s: memory growth or a share, the device's name."""

from __future__ import annotations

import pytest

from engine.errors import InvalidParams
from tests.support.gpus import H100

pytestmark = pytest.mark.usefixtures("gpu_environment")


def one_line_error(match: str):
    return pytest.raises(InvalidParams, match=match)


def test_tensorflow_grows_as_needed_or_keeps_to_its_share(fake_tf_gpus, two_gpus):
    from engine.core import backend

    assert backend.configure_memory(None) == "TensorFlow allocates as needed"
    assert fake_tf_gpus == [("growth", "/physical_device:GPU:0", True),
                            ("growth", "/physical_device:GPU:1", True)]
    fake_tf_gpus.clear()
    assert "at most 45%" in backend.configure_memory(0.45)
    assert fake_tf_gpus == [("limit", f"/physical_device:GPU:{i}", int(0.45 * 81559))
                            for i in range(2)]


def test_a_tensorflow_share_without_nvidia_smi_is_one_line(fake_tf_gpus, no_nvidia_smi):
    from engine.core import backend

    with one_line_error("LIENZO_GPU_MEMORY_FRACTION needs nvidia-smi"):
        backend.configure_memory(0.45)
    assert fake_tf_gpus == []


def test_the_device_name_says_which_gpu(fake_tf_gpus):
    from engine.core import backend

    assert backend.gpu() == (H100, (9, 0))
    assert backend.device(1) == f"GPU 1: {H100}"
    assert backend.device() == f"GPU 0: {H100}"  # not pinned: the first one it sees
    assert backend._capability("8.6") == (8, 6)  # JAX's form
