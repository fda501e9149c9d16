"""Colour control: keep the photo's colours, or bring the painting's to them.

Two known methods (Gatys et al., "Preserving Color in Neural Artistic Style
Transfer", 2016):
- ``keep_luminance``: take the stylised picture's luminance and the photo's
  chrominance (YCbCr, BT.601) - JJ's ``-original_colors 1``;
- ``match_colors``: an affine map that gives the painting the photo's colour
  mean and covariance before the optimisation.
Arrays are H×W×3 RGB, uint8 or float in 0-255.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Pixels = npt.NDArray[np.uint8] | npt.NDArray[np.floating]  # RGB in 0-255
Floats = npt.NDArray[np.float64]

_RGB_TO_YCBCR: Floats = np.array(
    [[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]]
)
_OFFSET: Floats = np.array([0.0, 128.0, 128.0])


def rgb_to_ycbcr(rgb: Pixels) -> Floats:
    ycc: Floats = rgb.astype(np.float64) @ _RGB_TO_YCBCR.T + _OFFSET
    return ycc


def ycbcr_to_rgb(ycc: Floats) -> Floats:
    rgb: Floats = (ycc - _OFFSET) @ np.linalg.inv(_RGB_TO_YCBCR).T
    return rgb


def keep_luminance(stylised: Pixels, content: Pixels) -> npt.NDArray[np.uint8]:
    """The stylised luminance with the content's colours; same shape required."""
    if stylised.shape != content.shape:
        raise ValueError(f"shapes differ: {stylised.shape} vs {content.shape}")
    ycc = rgb_to_ycbcr(content)
    ycc[..., 0] = rgb_to_ycbcr(stylised)[..., 0]
    return np.clip(np.rint(ycbcr_to_rgb(ycc)), 0, 255).astype(np.uint8)


def _sqrtm(cov: Floats, inverse: bool = False) -> Floats:
    values, vectors = np.linalg.eigh(cov)
    values = np.clip(values, 1e-6, None) ** (-0.5 if inverse else 0.5)
    root: Floats = (vectors * values) @ vectors.T
    return root


def match_colors(style: Pixels, content: Pixels) -> npt.NDArray[np.uint8]:
    """``style`` recoloured so its pixel mean and covariance equal ``content``'s."""
    s = style.reshape(-1, 3).astype(np.float64)
    c = content.reshape(-1, 3).astype(np.float64)
    s_mean, c_mean = s.mean(0), c.mean(0)
    eye = np.eye(3) * 1e-3
    transform = _sqrtm(np.cov(c, rowvar=False) + eye) @ _sqrtm(
        np.cov(s, rowvar=False) + eye, inverse=True
    )
    out: Floats = (s - s_mean) @ transform.T + c_mean
    return np.clip(np.rint(out), 0, 255).astype(np.uint8).reshape(style.shape)
