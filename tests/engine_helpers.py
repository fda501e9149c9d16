"""Generated pictures for engine tests: no files, no network."""

import numpy as np


def make_content(h: int = 36, w: int = 48, seed: int = 0) -> np.ndarray:
    """A smooth 'photo': gradients plus a bright disc."""
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.stack([xx / w * 255, yy / h * 255, (xx + yy) / (w + h) * 255], axis=-1)
    disc = (yy - h / 2) ** 2 + (xx - w / 3) ** 2 < (min(h, w) / 4) ** 2
    img[disc] = [250, 220, 40]
    rng = np.random.default_rng(seed)
    return np.clip(img + rng.normal(0, 4, img.shape), 0, 255).astype(np.uint8)


def make_style(h: int = 48, w: int = 48, seed: int = 1) -> np.ndarray:
    """A busy 'painting': coloured diagonal strokes."""
    yy, xx = np.mgrid[0:h, 0:w]
    rng = np.random.default_rng(seed)
    stripes = np.sin((xx + yy) / 2.0)[..., None] * rng.uniform(60, 120, 3)
    return np.clip(128 + stripes + rng.normal(0, 20, (h, w, 3)), 0, 255).astype(np.uint8)
