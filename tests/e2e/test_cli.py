"""`lienzo` end to end, in a subprocess, as a user would run it."""

import subprocess
import sys

import av
import numpy as np
import pytest
from PIL import Image

from tests.support.cli import lienzo
from tests.support.clips import decode_mp4, make_clip
from tests.support.workers import REPO


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


def test_cli_writes_a_timelapse(workspace):
    tmp, env = workspace
    out, clip = tmp / "art.jpg", tmp / "art.mp4"
    run = lienzo("paint", tmp / "photo.jpg", "--style", "stripes", "--size", "48",
                 "--iterations", "40", "-o", out, "--timelapse", clip, env_extra=env)
    assert run.returncode == 0, run.stderr[-2000:]
    codec, pix_fmt, _, width, height, seconds = decode_mp4(clip.read_bytes())
    assert (codec, pix_fmt, width, height) == ("h264", "yuv420p", 48, 36)
    assert 0 < seconds <= 6.0
    with av.open(str(clip)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    painting = np.asarray(Image.open(out).convert("RGB"), dtype=float)
    assert len(frames) >= 40 // 2  # snapshots, the wipe, the painting held
    assert np.abs(frames[-1].astype(float) - painting).mean() < 12  # it ends on the painting


def test_cli_paints_a_gif_into_an_h264_mp4(workspace):
    tmp, env = workspace
    clip = tmp / "clip.gif"
    clip.write_bytes(make_clip("gif", seconds=2, fps=10, w=48, h=36))
    out = tmp / "out.mp4"
    run = lienzo("paint", clip, "--style", "stripes", "--size", "40", "--iterations", "3",
                 "--fps", "6", "--seconds", "1", "--temporal-weight", "500", "-o", out,
                 env_extra=env)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "6 frames at 6 fps" in run.stdout and "first 1 s only" in run.stdout
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert stream.width % 2 == 0 and stream.height % 2 == 0
        assert max(stream.width, stream.height) in (40, 39)
        assert sum(1 for _ in container.decode(stream)) == 6


@pytest.mark.parametrize(("name", "data", "extra", "message"), [
    ("notes.mp4", b"just some text\n" * 50, [], "not a GIF or a video"),
    ("clip.gif", None, ["-o", "out.jpg"], ".mp4"),
    ("clip.gif", None, ["--temporal-weight", "-1"], "temporal-weight"),
])
def test_cli_bad_clip_is_one_clear_line(workspace, name, data, extra, message):
    tmp, env = workspace
    path = tmp / name
    path.write_bytes(data if data is not None else make_clip("gif", seconds=0.3, fps=10))
    run = lienzo("paint", path, "--style", "stripes", *extra, env_extra=env)
    assert run.returncode == 2
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("lienzo: ") and message in last
    assert "Traceback" not in run.stderr


def test_the_worker_command_reports_a_bad_url_and_exits_2():
    out = subprocess.run([sys.executable, "-m", "engine.cli", "worker", "--queue", "kafka://x"],
                         cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "not supported" in out.stderr and "Traceback" not in out.stderr
