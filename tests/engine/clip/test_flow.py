"""Optical flow for clips (engine.clip.flow): warping, Ruder's forward-backward
consistency check, what is carried to the next frame and where to trust it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from engine.clip import flow


def texture(h: int = 80, w: int = 100, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = cv2.GaussianBlur(rng.uniform(0, 255, (h, w, 3)).astype(np.float32), (0, 0), 1.5)
    return np.clip((noise - noise.mean()) * 4 + 128, 0, 255).astype(np.uint8)


def test_warping_a_shifted_frame_reproduces_it():
    """Content moved 2 px right: the backward flow is (-2, 0) to well under 0.5 px,
    and the previous frame warped by it is the current one away from the borders."""
    base = texture()
    previous, current = base[10:46, 10:58], base[10:46, 8:56]  # current(x) = previous(x - 2)
    backward = flow.flow(current, previous)
    inner = (slice(6, -6), slice(6, -6))
    assert np.abs(backward[inner] - [-2, 0]).max() < 0.5
    warped = flow.warp(previous, backward)
    assert np.abs(warped - current)[inner].mean() < 1.0
    assert np.abs(previous.astype(float) - current)[inner].mean() > 20  # it did move
    assert flow.consistency(backward, flow.flow(previous, current))[inner].mean() > 0.95


def test_consistency_marks_what_was_hidden():
    """A square moves 5 px right over a still background: the strip it uncovers was
    hidden in the previous frame, so the check distrusts it; the far background is
    trusted."""
    h, w = 48, 64
    background = texture(h, w, seed=3)

    def with_square(x0):
        f = background.copy()
        f[16:32, x0:x0 + 16] = np.uint8([250, 240, 20])
        return f

    previous, current = with_square(20), with_square(25)
    following = flow.follow(previous, current, previous, temporal_weight=10.0)
    uncovered = following.trusted[18:30, 21:24]
    far = following.trusted[4:12, 4:60]
    assert uncovered.mean() < 0.5 and far.mean() > 0.9
    assert following.weights().max() == pytest.approx(10.0)
    assert following.at(32, 24).image.shape == (24, 32, 3)


def test_content_entering_at_the_edge_is_untrusted_and_starts_from_the_photo():
    """A pan 3 px to the left: the right-hand columns come from outside the previous
    frame, so they are distrusted, and the carried picture there is the photo, not
    the previous painting's edge smeared across (it stayed as streaks)."""
    base = texture()
    previous, current = base[10:58, 10:74], base[10:58, 13:77]  # current(x) = previous(x + 3)
    painting = np.full_like(previous, 7)  # a flat "painting", far from the photo
    following = flow.follow(previous, current, painting, temporal_weight=1.0)
    entering = (slice(8, -8), slice(-2, None))
    assert following.trusted[entering].max() == 0.0
    np.testing.assert_allclose(following.image[entering], current[entering].astype(np.float32))
    assert following.trusted[8:-8, 8:-8].mean() > 0.95
    assert np.abs(following.image[8:-8, 8:-8] - 7).max() < 1.0  # trusted: the painting


def test_warp_error_counts_trusted_pixels_only():
    painting = np.zeros((4, 4, 3), np.uint8)
    warped = np.full((4, 4, 3), 10, np.float32)
    trusted = np.zeros((4, 4), np.float32)
    assert flow.warp_error(painting, warped, trusted) == 0.0
    trusted[0, 0] = 1
    assert flow.warp_error(painting, warped, trusted) == pytest.approx(10.0)
