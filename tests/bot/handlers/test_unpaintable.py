"""Files the bot cannot paint (bot/handlers/unpaintable.py): every type it offers to
paint is one the engine decodes.  The one friendly reply, end to end:
tests/e2e/test_bot_files.py."""

from __future__ import annotations

import pytest

from bot.handlers.unpaintable import PICTURE_TYPES
from engine.media import images
from tests.support.images import jpeg, tiny_image


@pytest.mark.parametrize("mime", sorted(PICTURE_TYPES))
def test_every_paintable_type_is_one_the_engine_decodes(mime):
    fmt = {"jpeg": "JPEG", "jpg": "JPEG", "pjpeg": "JPEG", "png": "PNG", "webp": "WEBP",
           "bmp": "BMP", "x-ms-bmp": "BMP", "tiff": "TIFF"}[mime.split("/")[1]]
    assert images.check_image(jpeg(tiny_image(5), fmt)) == (64, 64)
