"""Images in and out of the engine: bytes -> RGB array -> bytes.

Everything a user sends reaches the engine through :func:`decode_image`, so this
is the one place that defends against hostile or odd input: empty files, huge
files, decompression bombs, things that are not images, truncated uploads and
the many Pillow modes (palette, greyscale, 16-bit, float, CMYK, alpha).  The
rest of the engine can then assume an ``HxWx3`` ``uint8`` RGB array.

Only Pillow and NumPy are used here, so the bot and the CLI can check an image
without importing Keras/TensorFlow.

Note on ``PIL.ImageFile.LOAD_TRUNCATED_IMAGES``: it is a process-wide switch and
this module never sets it, because with it on Pillow silently pads a truncated
upload with grey instead of raising, and we want to say "damaged" instead.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import TypeAlias, overload

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

from engine.errors import (
    CorruptImage,
    EmptyImage,
    ImageError,
    ImageTooLarge,
    ImageTooSmall,
    NotAnImage,
)

__all__ = [
    "MAX_BYTES",
    "MAX_PIXELS",
    "MIN_SIDE",
    "RGB",
    "check_image",
    "decode_image",
    "encode_jpeg",
    "encode_png",
    "fit_within",
    "load_image",
    "resize_long_side",
    "resize_to",
    "to_uint8",
]

RGB: TypeAlias = npt.NDArray[np.uint8]
"""An ``HxWx3`` ``uint8`` RGB picture: what the engine works on and returns."""
Floats: TypeAlias = npt.NDArray[np.floating]
"""Pixels as the optimiser keeps them: floating point, nominally 0-255."""

#: Telegram's own download limit for bots is 20 MB, so nothing larger can arrive.
MAX_BYTES = 20 * 1024 * 1024
#: Decompression-bomb guard: a tiny file may claim a huge canvas.  50 MP (about
#: 150 MB as RGB) is above any phone camera and below Pillow's own 89 MP warning.
MAX_PIXELS = 50_000_000
#: Below this the style transfer has nothing to work with (VGG19 pools 4 times).
MIN_SIDE = 16

_MB = 1024 * 1024
_WHITE = (255, 255, 255, 255)
# Modes whose pixels Pillow converts to RGB directly without losing anything we
# care about (no alpha, 8 bits per channel or fewer).
_DIRECT_MODES = {"RGB", "1", "L", "P", "CMYK", "YCbCr", "LAB", "HSV", "RGBX"}
# Modes that carry an alpha channel; flattened onto white.
_ALPHA_MODES = {"RGBA", "RGBa", "LA", "La", "PA"}


def _format_bytes(n: int) -> str:
    """Human size: MB with one decimal (trailing .0 dropped), KB or bytes below."""
    if n >= _MB:
        return f"{n / _MB:.1f}".removesuffix(".0") + " MB"
    if n >= 1024:
        return f"{n / 1024:.1f}".removesuffix(".0") + " KB"
    return f"{n} bytes"


def _size_message(size: int, limit: int) -> str:
    got, lim = _format_bytes(size), _format_bytes(limit)
    if got == lim:  # 20.01 MB vs 20 MB would print as equal; show exact bytes then
        got, lim = f"{size:,} bytes", f"{limit:,} bytes"
    return f"The image is {got}; the limit is {lim}."


def _too_many_pixels(width: int, height: int, max_pixels: int) -> ImageTooLarge:
    return ImageTooLarge(
        f"The image is {width:,}x{height:,} pixels ({width * height:,} in total); "
        f"the limit is {max_pixels:,} pixels."
    )


def decode_image(
    data: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    min_side: int = MIN_SIDE,
) -> RGB:
    """Decode untrusted image bytes into an ``HxWx3`` ``uint8`` RGB array.

    The checks run cheapest first, so that nothing expensive happens to input
    we are going to reject: the byte size before Pillow sees the data, the pixel
    count from the header before any pixel is decoded.  Animated images give
    their first frame; EXIF orientation is applied so the result looks the way
    the phone showed it; transparency is flattened onto white (what a viewer
    shows, and what keeps a transparent PNG from turning black).

    Raises :class:`EmptyImage`, :class:`ImageTooLarge`, :class:`NotAnImage`,
    :class:`CorruptImage` or :class:`ImageTooSmall` (all :class:`ImageError`),
    each with a one-sentence English message.
    """
    with _open_checked(data, max_bytes, max_pixels) as img:
        _load_checked(img, max_pixels)
        try:
            oriented = ImageOps.exif_transpose(img)
        except Exception:
            # Broken EXIF should not cost the user their photo; keep it unrotated.
            oriented = img
        rgb = _to_rgb(oriented)

    height, width = rgb.shape[:2]
    _check_sides(width, height, min_side)
    return rgb


def check_image(
    data: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    min_side: int = MIN_SIDE,
) -> tuple[int, int]:
    """The checks of :func:`decode_image` at a fraction of the cost; returns (w, h).

    For the bot, which must refuse bad photos at once but never uses the pixels:
    a JPEG is decoded at 1/8 scale (``Image.draft``), which still reads every
    byte, so truncated or damaged files are caught; nothing is converted.
    """
    with _open_checked(data, max_bytes, max_pixels) as img:
        width, height = img.size
        _check_sides(width, height, min_side)
        if img.format == "JPEG":
            img.draft("RGB", (max(1, width // 8), max(1, height // 8)))
        _load_checked(img, max_pixels)
    return width, height


def _open_checked(data: bytes, max_bytes: int, max_pixels: int) -> Image.Image:
    """Open (headers only) after the byte checks; refuse too many pixels."""
    size = len(data) if data is not None else 0
    if size == 0:
        raise EmptyImage("The image is empty (0 bytes).")
    if size > max_bytes:
        raise ImageTooLarge(_size_message(size, max_bytes))
    try:
        img = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own guard (it fires at 2x Image.MAX_IMAGE_PIXELS, or at 1x if
        # warnings are errors); ours below is stricter, this is the backstop.
        raise ImageTooLarge(
            f"The image has more pixels than Pillow will open; the limit is {max_pixels:,} pixels."
        ) from exc
    except Exception as exc:  # UnidentifiedImageError, or a plugin choking on junk
        raise NotAnImage(
            "The file is not an image in a format we can read (JPEG, PNG, WebP, GIF, ...)."
        ) from exc
    # From the header only: nothing has been decoded yet.
    width, height = img.size
    if width * height > max_pixels:
        img.close()
        raise _too_many_pixels(width, height, max_pixels)
    return img


def _load_checked(img: Image.Image, max_pixels: int) -> None:
    """Decode the pixels (of frame 0: Image.open leaves an animation there)."""
    fmt = img.format or "image"
    try:
        img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels(*img.size, max_pixels) from exc
    except MemoryError:
        raise
    except Exception as exc:  # OSError "image file is truncated", broken data
        raise CorruptImage(
            f"The {fmt} file is damaged or incomplete and could not be decoded."
        ) from exc


def _check_sides(width: int, height: int, min_side: int) -> None:
    if min(width, height) < min_side:
        raise ImageTooSmall(
            f"The image is {width}x{height} pixels; each side must be at least {min_side} pixels."
        )


def load_image(
    path: str | os.PathLike[str],
    *,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    min_side: int = MIN_SIDE,
) -> RGB:
    """Read a file and :func:`decode_image` it (the CLI's way in).

    The file size is checked with ``stat`` first so an oversized file is never
    read into memory.
    """
    path = Path(path)
    size = path.stat().st_size
    if size > max_bytes:
        raise ImageTooLarge(_size_message(size, max_bytes))
    return decode_image(
        path.read_bytes(), max_bytes=max_bytes, max_pixels=max_pixels, min_side=min_side
    )


def _to_rgb(img: Image.Image) -> RGB:
    """Any Pillow mode -> ``HxWx3`` ``uint8`` RGB, alpha flattened onto white."""
    mode = img.mode
    if mode.startswith("I;16") or mode == "I":
        return _sixteen_bit_to_rgb(img)
    if mode == "F":
        return _float_to_rgb(img)
    if mode in _ALPHA_MODES or (mode in _DIRECT_MODES and "transparency" in img.info):
        # Palette/greyscale/RGB with a transparent colour (tRNS, GIF) become
        # RGBA with a real alpha channel first, so one path flattens them all.
        rgba = img.convert("RGBA")
        flat = Image.alpha_composite(Image.new("RGBA", rgba.size, _WHITE), rgba)
        return _as_array(flat.convert("RGB"))
    if mode in _DIRECT_MODES:
        return _as_array(img if mode == "RGB" else img.convert("RGB"))
    try:
        return _as_array(img.convert("RGB"))
    except Exception as exc:
        raise ImageError(f"The image uses the colour mode {mode}, which is not supported.") from exc


def _as_array(img: Image.Image) -> RGB:
    # np.array (not asarray) so the caller gets a writeable, contiguous copy.
    arr = np.array(img, dtype=np.uint8)
    if arr.ndim != 3 or arr.shape[2] != 3:  # pragma: no cover - defensive
        raise ImageError(f"The image decoded to an unexpected shape {arr.shape}.")
    return arr


def _grey_to_rgb(grey: npt.NDArray[np.uint8]) -> RGB:
    return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))


def _sixteen_bit_to_rgb(img: Image.Image) -> RGB:
    """16-bit greyscale (``I;16*``, and ``I`` as Pillow opens 16-bit PNG/TIFF).

    Scaled by 255/65535 (rounded) so white stays white and mid-grey stays
    mid-grey; Pillow's own ``convert("L")`` clips at 255 instead, which turns
    almost every 16-bit photo pure white.  ``I`` is assumed to hold 16-bit
    values too (that is what the decoders produce); anything outside 0-65535 is
    clipped.
    """
    values = np.asarray(img).astype(np.float64)
    grey = np.rint(np.clip(values, 0, 65535) * (255.0 / 65535.0)).astype(np.uint8)
    transparent = img.info.get("transparency")
    if isinstance(transparent, int):
        grey[values == transparent] = 255  # a single transparent value: flatten to white
    return _grey_to_rgb(grey)


def _float_to_rgb(img: Image.Image) -> RGB:
    """32-bit float greyscale (``F``, e.g. float TIFF).

    There is no standard range: if every finite value is within 0-1 the image is
    taken as 0-1 (the usual convention for float files), otherwise as 0-255.
    NaN becomes black.
    """
    values = np.nan_to_num(np.asarray(img, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    if values.size and values.max() <= 1.0:
        values = values * 255.0
    return _grey_to_rgb(to_uint8(values))


def fit_within(width: int, height: int, long_side: int) -> tuple[int, int]:
    """Size ``(w, h)`` with the longer side equal to ``long_side``, same aspect ratio.

    Scales up as well as down (the coarse-to-fine schedule upscales); callers
    that only want to cap a size compare with ``max(width, height)`` first.
    Sides are rounded half up and never drop below 1 (a 1000x3 strip at 100
    gives 100x1, not 100x0).
    """
    if width < 1 or height < 1:
        raise ValueError(f"Image size must be positive, got {width}x{height}.")
    if long_side < 1:
        raise ValueError(f"long_side must be at least 1, got {long_side}.")
    scale = long_side / max(width, height)
    new_w = max(1, math.floor(width * scale + 0.5))
    new_h = max(1, math.floor(height * scale + 0.5))
    return new_w, new_h


@overload
def resize_long_side(image: RGB, long_side: int) -> RGB: ...
@overload
def resize_long_side(image: Floats, long_side: int) -> Floats: ...
def resize_long_side(image: npt.ArrayLike, long_side: int) -> RGB | Floats:
    """Resize so the longer side is ``long_side`` pixels, keeping the aspect ratio."""
    image = np.asarray(image)
    if image.ndim not in (2, 3):
        raise ValueError(f"Expected an HxW or HxWxC array, got shape {image.shape}.")
    height, width = image.shape[:2]
    return resize_to(image, *fit_within(width, height, long_side))


@overload
def resize_to(image: RGB, width: int, height: int) -> RGB: ...
@overload
def resize_to(image: Floats, width: int, height: int) -> Floats: ...
def resize_to(image: npt.ArrayLike, width: int, height: int) -> RGB | Floats:
    """Resize to exactly ``width`` x ``height`` (the multiscale schedule's sizes).

    ``uint8`` arrays (``HxW``, ``HxWx3``, ``HxWx4``) go through Pillow's Lanczos
    filter.  Floating arrays (values in 0-255, as the optimiser keeps them) are
    resized channel by channel in Pillow's 32-bit float mode, also Lanczos, and
    come back as ``float32`` without clipping: Lanczos can overshoot slightly
    past 0-255 and the caller decides whether to clip (:func:`to_uint8` does).
    An image already at that size is returned unchanged (the same object).
    """
    image = np.asarray(image)
    if image.ndim not in (2, 3):
        raise ValueError(f"Expected an HxW or HxWxC array, got shape {image.shape}.")
    if image.shape[:2] == (height, width):
        return image
    size = (width, height)
    if image.dtype == np.uint8:
        resized = Image.fromarray(np.ascontiguousarray(image)).resize(
            size, Image.Resampling.LANCZOS
        )
        return np.array(resized, dtype=np.uint8)
    if np.issubdtype(image.dtype, np.floating):
        floats = image.astype(np.float32, copy=False)

        def one(channel: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
            plane = Image.fromarray(np.ascontiguousarray(channel))  # mode "F"
            return np.asarray(plane.resize(size, Image.Resampling.LANCZOS))

        if floats.ndim == 2:
            return one(floats).astype(np.float32)
        channels = [one(floats[:, :, c]) for c in range(floats.shape[2])]
        return np.stack(channels, axis=2).astype(np.float32)
    raise TypeError(f"Expected a uint8 or floating array, got {image.dtype}.")


def to_uint8(image_float: npt.ArrayLike) -> RGB:
    """Float pixels (nominally 0-255) -> ``uint8``: round to nearest, clip, NaN -> 0."""
    values = np.nan_to_num(np.asarray(image_float, dtype=np.float64), nan=0.0)
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def _check_rgb_uint8(image: RGB) -> RGB:
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(
            f"Expected an HxWx3 uint8 RGB array, got {image.dtype} {image.shape}; "
            "use to_uint8 for float images."
        )
    return np.ascontiguousarray(image)


def encode_jpeg(image: RGB, quality: int = 92) -> bytes:
    """``HxWx3`` ``uint8`` RGB -> baseline JPEG bytes (for the photo Telegram shows).

    Baseline rather than progressive because Telegram re-encodes photos anyway
    and baseline decodes everywhere; ``optimize`` costs little and saves a few
    percent; 4:2:0 chroma is what Telegram uses too.
    """
    rgb = _check_rgb_uint8(image)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(
        buf, "JPEG", quality=quality, optimize=True, progressive=False, subsampling="4:2:0"
    )
    return buf.getvalue()


def encode_png(image: RGB) -> bytes:
    """``HxWx3`` ``uint8`` RGB -> PNG bytes (the lossless full-resolution file)."""
    rgb = _check_rgb_uint8(image)
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "PNG")
    return buf.getvalue()
