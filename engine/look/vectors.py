"""Each catalogue painting's style vector, computed once per process and kept.

Decoding a painting (a few MB of JPEG) costs far more than the predictor's
6 ms; a vector is 400 bytes.  The bot asks for the same few paintings all day,
so after the first photo in each a look costs only the transformer.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from engine.catalogue import styles
from engine.catalogue.styles import Style
from engine.look.network import LookFailed, LookNetwork, StyleVector


class StyleVectors:
    """``of(style_id)``: the catalogue painting's vector (its image read through the
    catalogue's cache the first time; ``StyleUnavailable`` if it cannot be had)."""

    def __init__(self, network: LookNetwork, catalog: Mapping[str, Style]) -> None:
        self.network = network
        self.catalog = catalog
        self._vectors: dict[str, StyleVector] = {}
        self._lock = threading.Lock()

    def of(self, style_id: str, *, may_download: bool = True) -> StyleVector:
        """``may_download=False``: a painting not on disk yet (neither a local file nor
        in the catalogue's cache) raises LookFailed rather than waiting for a
        download - a first look must come at once or not at all."""
        with self._lock:
            known = self._vectors.get(style_id)
        if known is not None:
            return known
        if not may_download and not styles.resolve(style_id, self.catalog).image_file.exists():
            raise LookFailed(f"the painting {style_id!r} is not downloaded yet")
        vector = self.network.style_vector(styles.style_image(style_id, self.catalog))
        with self._lock:
            self._vectors[style_id] = vector
        return vector
