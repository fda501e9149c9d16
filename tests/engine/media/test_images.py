"""Tests for engine.media.images: every image is generated here with Pillow/NumPy."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageFile, features

from engine.errors import (
    CorruptImage,
    EmptyImage,
    ImageError,
    ImageTooLarge,
    ImageTooSmall,
    NotAnImage,
)
from engine.media import images
from engine.media.images import (
    check_image,
    decode_image,
    encode_jpeg,
    encode_png,
    fit_within,
    load_image,
    resize_long_side,
    to_uint8,
)

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)


def save(img: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


def gradient(width: int = 64, height: int = 48) -> np.ndarray:
    """A smooth RGB test picture (compresses well, JPEG keeps it close)."""
    y, x = np.mgrid[0:height, 0:width]
    return np.stack(
        [x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), np.full_like(x, 128)],
        axis=2,
    ).astype(np.uint8)


def noise(width: int = 128, height: int = 96, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def crafted_png(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims width x height but whose IDAT holds one tiny row."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


@pytest.fixture
def no_pixel_decoding(monkeypatch):
    """Fail the test if Pillow decodes any pixels (the checks must be header-only)."""

    def forbidden(self):
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", forbidden)


# --- normal round trips -------------------------------------------------------------


def test_png_round_trip_is_exact():
    src = gradient()
    out = decode_image(save(Image.fromarray(src), "PNG"))
    assert out.dtype == np.uint8
    assert out.shape == (48, 64, 3)
    assert out.flags.writeable
    np.testing.assert_array_equal(out, src)


def test_jpeg_round_trip_is_close():
    src = gradient()
    out = decode_image(save(Image.fromarray(src), "JPEG", quality=95))
    assert out.shape == (48, 64, 3)
    assert np.abs(out.astype(int) - src).mean() < 3


def test_load_image_reads_file(tmp_path):
    path = tmp_path / "photo.png"
    path.write_bytes(save(Image.fromarray(gradient()), "PNG"))
    np.testing.assert_array_equal(load_image(path), gradient())


def test_load_image_checks_file_size_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "big.png"
    path.write_bytes(save(Image.fromarray(gradient()), "PNG"))

    def forbidden(self):
        raise AssertionError("file was read")

    monkeypatch.setattr(type(path), "read_bytes", forbidden)
    with pytest.raises(ImageTooLarge):
        load_image(path, max_bytes=100)


# --- orientation, frames, modes -------------------------------------------------------


def test_exif_orientation_is_applied():
    # Stored 40 wide x 20 high, red block in the stored top-left corner.
    arr = np.zeros((20, 40, 3), np.uint8)
    arr[:8, :8] = RED
    img = Image.fromarray(arr)
    exif = img.getexif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    out = decode_image(save(img, "JPEG", quality=95, exif=exif.tobytes()))
    assert out.shape == (40, 20, 3)  # now portrait
    # Rotating 90 degrees clockwise moves the top-left corner to the top-right.
    top_right = out[:6, -6:].reshape(-1, 3).mean(axis=0)
    top_left = out[:6, :6].reshape(-1, 3).mean(axis=0)
    assert top_right[0] > 200 and top_right[1] < 60
    assert top_left.max() < 60


def test_palette_with_transparency_is_flattened_on_white():
    img = Image.new("P", (32, 32), 0)
    img.putpalette([0, 0, 255, 0, 255, 0] + [0] * (254 * 3))  # 0 = blue, 1 = green
    img.paste(1, (0, 0, 16, 32))
    out = decode_image(save(img, "PNG", transparency=0))
    assert tuple(out[0, 0]) == GREEN
    assert tuple(out[0, 31]) == (255, 255, 255)  # transparent blue -> white


def test_gif_with_transparency_is_flattened_on_white():
    img = Image.new("P", (32, 32), 0)
    img.putpalette([0, 0, 255, 255, 0, 0] + [0] * (254 * 3))  # 0 = blue, 1 = red
    img.paste(1, (0, 0, 16, 32))
    out = decode_image(save(img, "GIF", transparency=0))
    assert tuple(out[0, 0]) == RED
    assert tuple(out[0, 31]) == (255, 255, 255)


def test_greyscale_l():
    arr = np.tile(np.arange(0, 256, 8, dtype=np.uint8), (20, 1))  # 20 x 32
    out = decode_image(save(Image.fromarray(arr), "PNG"))
    assert out.shape == (20, 32, 3)
    for c in range(3):
        np.testing.assert_array_equal(out[:, :, c], arr)


def test_greyscale_with_alpha_la():
    img = Image.new("LA", (32, 32), (0, 0))  # black, fully transparent
    img.paste((0, 255), (0, 0, 16, 16))  # black, opaque
    img.paste((0, 128), (16, 16, 32, 32))  # black, half transparent
    out = decode_image(save(img, "PNG"))
    assert tuple(out[0, 0]) == (0, 0, 0)
    assert tuple(out[0, 31]) == (255, 255, 255)
    assert all(abs(int(v) - 127) <= 1 for v in out[31, 31])


def test_sixteen_bit_png_is_scaled_not_clipped():
    arr = np.zeros((16, 48), np.uint16)
    arr[:, 16:32] = 32768
    arr[:, 32:] = 65535
    data = save(Image.fromarray(arr), "PNG")
    with Image.open(io.BytesIO(data)) as check:  # really a 16-bit file
        assert check.mode in ("I;16", "I;16B", "I")
    out = decode_image(data)
    assert out.shape == (16, 48, 3)
    assert tuple(out[0, 0]) == (0, 0, 0)
    assert tuple(out[0, 20]) == (128, 128, 128)  # Pillow's convert("L") would clip to 255
    assert tuple(out[0, 40]) == (255, 255, 255)


def test_32_bit_integer_mode_i_is_treated_as_16_bit():
    arr = np.zeros((16, 48), np.int32)
    arr[:, 16:32] = 32768
    arr[:, 32:] = 65535
    data = save(Image.fromarray(arr), "TIFF")
    with Image.open(io.BytesIO(data)) as check:
        assert check.mode == "I"
    out = decode_image(data)
    assert tuple(out[0, 0]) == (0, 0, 0)
    assert tuple(out[0, 20]) == (128, 128, 128)
    assert tuple(out[0, 40]) == (255, 255, 255)


@pytest.mark.parametrize(
    ("values", "expected"),
    [((0.0, 0.5, 1.0), (0, 128, 255)), ((0.0, 100.0, 255.0), (0, 100, 255))],
)
def test_float_mode_f(values, expected):
    arr = np.zeros((16, 48), np.float32)
    for i, v in enumerate(values):
        arr[:, 16 * i : 16 * (i + 1)] = v
    data = save(Image.fromarray(arr), "TIFF")
    with Image.open(io.BytesIO(data)) as check:
        assert check.mode == "F"
    out = decode_image(data)
    assert [int(out[0, 16 * i + 8, 0]) for i in range(3)] == list(expected)


def test_cmyk_jpeg():
    img = Image.new("CMYK", (32, 32), (0, 255, 255, 0))  # red
    data = save(img, "JPEG", quality=95)
    with Image.open(io.BytesIO(data)) as check:
        assert check.mode == "CMYK"
    out = decode_image(data)
    assert out.shape == (32, 32, 3)
    r, g, b = out[16, 16].astype(int)
    assert r > 230 and g < 30 and b < 30


def test_rgba_is_flattened_on_white():
    img = Image.new("RGBA", (32, 32), (0, 0, 0, 0))  # transparent black
    img.paste((255, 0, 0, 255), (0, 0, 16, 16))
    img.paste((0, 0, 0, 128), (16, 16, 32, 32))
    out = decode_image(save(img, "PNG"))
    assert tuple(out[31, 0]) == (255, 255, 255)
    assert tuple(out[0, 0]) == RED
    assert all(abs(int(v) - 127) <= 1 for v in out[31, 31])


def test_one_bit_image():
    img = Image.new("1", (32, 32), 0)
    img.paste(1, (0, 0, 16, 32))
    out = decode_image(save(img, "PNG"))
    assert tuple(out[0, 0]) == (255, 255, 255)
    assert tuple(out[0, 31]) == (0, 0, 0)


ANIMATED_FORMATS = ["GIF", "PNG"] + (["WEBP"] if features.check("webp") else [])


@pytest.mark.parametrize("fmt", ANIMATED_FORMATS)
def test_animated_image_gives_first_frame(fmt):
    frames = [Image.new("RGB", (32, 32), c) for c in (RED, GREEN, BLUE)]
    kwargs = {"lossless": True} if fmt == "WEBP" else {}
    data = save(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, **kwargs)
    with Image.open(io.BytesIO(data)) as check:
        assert getattr(check, "n_frames", 1) == 3
    out = decode_image(data)
    r, g, b = out[16, 16].astype(int)
    assert r > 240 and g < 15 and b < 15


# --- rejections ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [b"hello", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"],
)
def test_not_an_image(data):
    with pytest.raises(NotAnImage) as info:
        decode_image(data)
    assert info.value.code == "not_an_image"
    assert isinstance(info.value, ImageError)


def test_empty():
    with pytest.raises(EmptyImage):
        decode_image(b"")


def test_over_byte_limit_is_rejected_before_decoding(monkeypatch):
    data = save(Image.fromarray(gradient()), "PNG")

    def forbidden(*args, **kwargs):
        raise AssertionError("Image.open was called")

    monkeypatch.setattr(Image, "open", forbidden)
    with pytest.raises(ImageTooLarge) as info:
        decode_image(data, max_bytes=100)
    assert "the limit is 100 bytes" in str(info.value)


def test_byte_limit_message_has_the_numbers():
    with pytest.raises(ImageTooLarge) as info:
        decode_image(bytes(int(25.3 * 1024 * 1024)))
    assert str(info.value) == "The image is 25.3 MB; the limit is 20 MB."


def test_crafted_bomb_over_our_limit_is_rejected_from_the_header(no_pixel_decoding):
    # 8000 x 8000 = 64 MP: over our 50 MP limit but under Pillow's own 89 MP
    # warning, so this is our check and not Pillow's.
    data = crafted_png(8000, 8000)
    assert len(data) < 200
    with pytest.raises(ImageTooLarge) as info:
        decode_image(data)
    assert "8,000x8,000" in str(info.value)
    assert "50,000,000" in str(info.value)


def test_crafted_huge_bomb_is_rejected(no_pixel_decoding):
    # 100000 x 100000: Pillow's own guard raises inside Image.open; still ours.
    with pytest.raises(ImageTooLarge):
        decode_image(crafted_png(100_000, 100_000))


def test_pixel_limit_on_a_real_image(no_pixel_decoding):
    data = save(Image.fromarray(gradient(64, 48)), "PNG")
    with pytest.raises(ImageTooLarge) as info:
        decode_image(data, max_pixels=64 * 48 - 1)
    assert "64x48" in str(info.value)


def test_pixel_limit_is_inclusive():
    data = save(Image.fromarray(gradient(64, 48)), "PNG")
    assert decode_image(data, max_pixels=64 * 48).shape == (48, 64, 3)


def test_truncated_images_are_not_globally_allowed():
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_truncated_file_is_corrupt(fmt):
    data = save(Image.fromarray(noise()), fmt)
    with pytest.raises(CorruptImage) as info:
        decode_image(data[: len(data) // 2])
    assert fmt in str(info.value)


def test_too_small():
    data = save(Image.fromarray(gradient(10, 40)), "PNG")
    with pytest.raises(ImageTooSmall) as info:
        decode_image(data)
    assert "10x40" in str(info.value) and "16" in str(info.value)
    assert decode_image(data, min_side=10).shape == (40, 10, 3)


def test_smallest_allowed_size_passes():
    data = save(Image.fromarray(gradient(16, 16)), "PNG")
    assert decode_image(data).shape == (16, 16, 3)


def test_decoding_does_not_need_keras():
    import subprocess
    import sys

    code = (
        "import sys, engine.media.images; "
        "bad = [m for m in ('keras', 'tensorflow', 'jax') if m in sys.modules]; "
        "sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# --- resize, encode, convert --------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "long_side", "expected"),
    [
        ((300, 200), 150, (150, 100)),
        ((200, 300), 150, (100, 150)),
        ((300, 200), 600, (600, 400)),  # upscaling too (coarse-to-fine)
        ((1000, 3), 100, (100, 1)),  # never 0
        ((333, 100), 100, (100, 30)),
        ((64, 64), 64, (64, 64)),
    ],
)
def test_fit_within(size, long_side, expected):
    assert fit_within(*size, long_side) == expected


def test_fit_within_rejects_nonsense():
    with pytest.raises(ValueError):
        fit_within(100, 100, 0)
    with pytest.raises(ValueError):
        fit_within(0, 100, 10)


@pytest.mark.parametrize(("w", "h"), [(300, 200), (200, 300)])
def test_resize_long_side_keeps_aspect_ratio(w, h):
    out = resize_long_side(gradient(w, h), 150)
    assert out.dtype == np.uint8
    assert out.shape == (h // 2, w // 2, 3)


def test_resize_returns_input_when_already_that_size():
    src = gradient(300, 200)
    assert resize_long_side(src, 300) is src


def test_resize_float_path():
    src = gradient(300, 200)
    out = resize_long_side(src.astype(np.float32), 150)
    assert out.dtype == np.float32
    assert out.shape == (100, 150, 3)
    ref = resize_long_side(src, 150).astype(np.float32)
    assert np.abs(out - ref).max() <= 1.5  # same filter, only rounding differs
    flat = resize_long_side(np.full((40, 60, 3), 77.25, np.float32), 30)
    np.testing.assert_allclose(flat, 77.25, atol=1e-3)  # no quantisation to integers


def test_resize_rejects_other_dtypes():
    with pytest.raises(TypeError):
        resize_long_side(np.zeros((10, 20, 3), np.int16), 5)


def test_encode_jpeg_decodes_back():
    src = gradient(120, 80)
    data = encode_jpeg(src)
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "JPEG"
        assert img.size == (120, 80)
        assert img.mode == "RGB"
        assert not img.info.get("progressive")
        decoded = np.asarray(img.convert("RGB"), dtype=int)
    assert np.abs(decoded - src).mean() < 3
    assert len(encode_jpeg(src, quality=30)) < len(data)


def test_encode_png_is_lossless():
    src = noise(50, 30)
    data = encode_png(src)
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "PNG"
        assert img.size == (50, 30)
        np.testing.assert_array_equal(np.asarray(img.convert("RGB")), src)


@pytest.mark.parametrize("encode", [encode_jpeg, encode_png])
def test_encoders_reject_non_rgb_uint8(encode):
    with pytest.raises(ValueError):
        encode(np.zeros((10, 10, 3), np.float32))
    with pytest.raises(ValueError):
        encode(np.zeros((10, 10), np.uint8))


def test_to_uint8_rounds_and_clips():
    src = np.array([-5.0, 0.4, 127.6, 254.9, 300.0, np.nan], np.float32)
    np.testing.assert_array_equal(to_uint8(src), [0, 0, 128, 255, 255, 0])
    assert to_uint8(src).dtype == np.uint8


def test_constants():
    assert images.MAX_BYTES == 20 * 1024 * 1024
    assert images.MAX_PIXELS == 50_000_000
    assert images.MIN_SIDE == 16


def _outcome(check, data):
    try:
        return check(data)
    except ImageError as exc:
        return type(exc)


@pytest.mark.parametrize("case", ["jpeg", "png", "truncated_jpeg", "truncated_png", "text",
                                  "empty", "bomb", "small", "cmyk"])
def test_check_image_refuses_what_decode_image_refuses(case):
    """The bot's cheap check and the worker's decoding agree on every input."""
    jpeg = save(Image.fromarray(noise()), "JPEG", quality=90)
    png = save(Image.fromarray(noise()), "PNG")
    data = {
        "jpeg": jpeg, "png": png,
        "truncated_jpeg": jpeg[: len(jpeg) // 2], "truncated_png": png[: len(png) // 2],
        "text": b"hello", "empty": b"", "bomb": crafted_png(8000, 8000),
        "small": save(Image.fromarray(gradient(10, 40)), "PNG"),
        "cmyk": save(Image.fromarray(gradient()).convert("CMYK"), "JPEG"),
    }[case]
    decoded, checked = _outcome(decode_image, data), _outcome(check_image, data)
    if isinstance(decoded, np.ndarray):
        assert checked == (decoded.shape[1], decoded.shape[0])
    else:
        assert checked is decoded
