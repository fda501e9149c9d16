"""`lienzo` end to end, in a subprocess, as a user would run it."""

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from tests.engine_helpers import make_content, make_style

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def lienzo(*args, env_extra=None, timeout=300):
    env = {**os.environ, "LIENZO_VGG19_WEIGHTS": "random", **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "engine.cli", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)


@pytest.fixture
def workspace(tmp_path):
    styles = tmp_path / "styles"
    styles.mkdir()
    Image.fromarray(make_style(64, 64, seed=3)).save(styles / "stripes.jpg")
    Image.fromarray(make_content(45, 60)).save(tmp_path / "photo.jpg")
    Image.fromarray(make_style(50, 50, seed=9)).save(tmp_path / "mine.png")
    return tmp_path, {"LIENZO_STYLES_DIR": str(styles), "LIENZO_DATA_DIR": str(tmp_path / "d")}


def test_paint_writes_the_picture(workspace):
    tmp, env = workspace
    out = tmp / "art.png"
    run = lienzo("paint", tmp / "photo.jpg", "--style", "stripes:2", "--style-image",
                 f"{tmp / 'mine.png'}:0.5", "--size", "48", "--iterations", "3",
                 "--keep-colors", "-o", out, env_extra=env)
    assert run.returncode == 0, run.stderr[-2000:]
    with Image.open(out) as img:
        assert img.format == "PNG" and img.size == (48, 36)
    assert "art.png  48x36  3 steps" in run.stdout
    assert "RANDOM weights" in run.stderr  # said loudly
    assert "3/3" in run.stderr  # the tqdm bar reached the end


def test_unknown_style_suggests_and_fails_cleanly(workspace):
    tmp, env = workspace
    run = lienzo("paint", tmp / "photo.jpg", "--style", "starry", env_extra=env)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert lines[-1].startswith("lienzo: Unknown style 'starry'")
    assert "starry_night" in lines[-1]
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("make_bad", ["missing", "text", "truncated"])
def test_bad_photo_is_one_clear_line(workspace, make_bad):
    tmp, env = workspace
    photo = tmp / "bad.jpg"
    if make_bad == "text":
        photo.write_text("hello")
    elif make_bad == "truncated":
        data = (tmp / "photo.jpg").read_bytes()
        photo.write_bytes(data[: len(data) // 2])
    run = lienzo("paint", photo, "--style", "stripes", env_extra=env)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("lienzo: ") and ("bad.jpg" in last or "image" in last.lower())


def test_bad_option_values(workspace):
    tmp, env = workspace
    run = lienzo("paint", tmp / "photo.jpg", "--style", "stripes", "--strength", "huge",
                 env_extra=env)
    assert run.returncode == 2
    assert "strength must be one of low, medium, high, max" in run.stderr
    assert "Traceback" not in run.stderr
    run = lienzo("paint", tmp / "photo.jpg", env_extra=env)
    assert run.returncode == 2 and "--style" in run.stderr


def test_two_styles_by_mask_faces_and_brush(workspace):
    """--mask splits the picture between two styles; --faces and --brush are taken."""
    tmp, env = workspace
    mask = np.zeros((45, 60), np.uint8)
    mask[:, :30] = 255
    Image.fromarray(mask).save(tmp / "mask.png")
    out = tmp / "split.jpg"
    run = lienzo("paint", tmp / "photo.jpg", "--style", "stripes", "--style-image",
                 tmp / "mine.png", "--mask", tmp / "mask.png", "--faces", "keep",
                 "--brush", "large", "--size", "48", "--iterations", "2", "-o", out,
                 env_extra=env)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "split.jpg  48x36  2 steps" in run.stdout
    with Image.open(out) as img:
        assert img.size == (48, 36)


@pytest.mark.parametrize(("extra", "message"), [
    (["--mask", "wrong.png", "--style-image", "mine.png"],
     "the mask is 20×10 px but the photo is 60×45 px: they must be the same size"),
    (["--mask", "photo.txt", "--style-image", "mine.png"], "the mask is not an image"),
    (["--mask", "wrong.png"], "--mask needs exactly two styles"),
    (["--brush", "huge"], "argument --brush: invalid choice: 'huge'"),
    (["--brush", "small", "--style-scale", "0.5"], "--brush or --style-scale, not both"),
])
def test_bad_mask_or_brush_is_one_clear_line(workspace, extra, message):
    tmp, env = workspace
    Image.fromarray(np.zeros((10, 20), np.uint8)).save(tmp / "wrong.png")
    (tmp / "photo.txt").write_text("not a mask")
    extra = [str(tmp / a) if a.endswith((".png", ".txt")) else a for a in extra]
    run = lienzo("paint", tmp / "photo.jpg", "--style", "stripes", *extra, env_extra=env)
    assert run.returncode == 2
    assert message in run.stderr.strip().splitlines()[-1]
    assert "Traceback" not in run.stderr


def test_styles_lists_catalogue_and_writes_sheet(workspace):
    tmp, env = workspace
    sheet = tmp / "sheet.jpg"
    dead = "http://127.0.0.1:9"  # catalogue downloads fail at once: grey tiles
    run = lienzo("styles", "--sheet", sheet, timeout=120,
                 env_extra={**env, "HTTPS_PROXY": dead, "https_proxy": dead})
    assert run.returncode == 0, run.stderr[-2000:]
    assert "starry_night" in run.stdout and "stripes" in run.stdout
    with Image.open(sheet) as img:
        assert img.format == "JPEG"
        assert np.asarray(img).std() > 0


def test_styles_download_fails_loudly_without_network(workspace):
    """`lienzo styles --download` (the Docker build step) must not pass with holes."""
    tmp, env = workspace
    dead = "http://127.0.0.1:9"
    run = lienzo("styles", "--download", timeout=120,
                 env_extra={**env, "HTTPS_PROXY": dead, "https_proxy": dead})
    assert run.returncode == 2
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("lienzo: Style '") and "LIENZO_STYLES_DIR" in last
