"""``lienzo paint``'s first look (engine/cli/paint.py): ``--quality instant`` writes the
look without Keras, ``--init look`` starts the optimisation from it.  Most tests run
``engine.cli.main`` in this process (the ``workspace`` fixture's catalogue and photo);
the one that must see a fresh interpreter's modules starts ``lienzo`` itself (e2e).
The other options, end to end: tests/e2e/test_cli.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image

from engine.cli import main
from engine.media.images import load_image
from tests.support.cli import lienzo
from tests.support.clips import decode_mp4, make_clip
from tests.support.workers import REPO


@pytest.fixture
def here(workspace, monkeypatch):
    """The workspace's folder, its variables set in this process (random weights)."""
    tmp, env = workspace
    for name, value in {**env, "LIENZO_VGG19_WEIGHTS": "random"}.items():
        monkeypatch.setenv(name, value)
    for name in ("LIENZO_DEFAULT_QUALITY", "LIENZO_MAX_SIDE"):
        monkeypatch.delenv(name, raising=False)
    return tmp


def test_quality_instant_writes_the_first_look_at_the_asked_size(here, capsys):
    out = here / "look.png"
    assert main(["paint", str(here / "photo.jpg"), "--style", "stripes", "--style-image",
                 f"{here / 'mine.png'}:0.5", "--quality", "instant", "--size", "96",
                 "-o", str(out)]) == 0
    look = np.asarray(Image.open(out))
    assert look.shape == (72, 96, 3)  # the photo is 60x45
    assert load_image(here / "photo.jpg").shape == (45, 60, 3) and look.std() > 5
    printed = capsys.readouterr().out
    assert "96x72" in printed and "first look" in printed


def test_an_instant_picture_takes_the_cpu_machines_default_size(here):
    out = here / "look.jpg"
    assert main(["paint", str(here / "photo.jpg"), "--style", "stripes", "--quality", "instant",
                 "-o", str(out)]) == 0
    assert Image.open(out).size == (384, 288)


def test_lienzo_default_quality_instant_is_accepted(here, monkeypatch, capsys):
    monkeypatch.setenv("LIENZO_DEFAULT_QUALITY", "instant")
    out = here / "look.jpg"
    assert main(["paint", str(here / "photo.jpg"), "--style", "stripes", "--size", "64",
                 "-o", str(out)]) == 0
    assert Image.open(out).size == (64, 48) and "first look" in capsys.readouterr().out


@pytest.mark.parametrize("extra", [["--timelapse", "t.mp4"], ["--mask", "m.png"]])
def test_instant_refuses_what_needs_the_optimisation(here, capsys, extra):
    code = main(["paint", str(here / "photo.jpg"), "--style", "stripes", "--quality", "instant",
                 *extra, "-o", str(here / "x.jpg")])
    assert code == 2 and "instant" in capsys.readouterr().err
    assert not (here / "x.jpg").exists()


def test_an_instant_clip_is_every_frames_look(here, capsys):
    clip = here / "clip.gif"
    clip.write_bytes(make_clip("gif", seconds=0.5, fps=10, w=48, h=32))
    out = here / "clip-look.mp4"
    assert main(["paint", str(clip), "--style", "stripes", "--quality", "instant", "--size",
                 "48", "-o", str(out)]) == 0
    codec, _, frames, width, height, _ = decode_mp4(out.read_bytes())
    assert codec == "h264" and frames == 5 and (width, height) == (48, 32)
    assert "first look" in capsys.readouterr().out


def test_init_look_starts_the_optimisation_from_the_first_look(here, monkeypatch, capsys):
    from engine.core import transfer

    starts = []
    real = transfer.Engine.stylize

    def recording(self, *args, **kwargs):
        starts.append(kwargs.get("start"))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(transfer.Engine, "stylize", recording)
    out = here / "art.jpg"
    assert main(["paint", str(here / "photo.jpg"), "--style", "stripes", "--init", "look",
                 "--size", "48", "--iterations", "2", "-o", str(out)]) == 0
    assert Image.open(out).size == (48, 36)
    [start] = starts
    assert start is not None and start.shape == (36, 48, 3)
    assert "2 steps" in capsys.readouterr().out


def test_help_describes_instant_and_the_look():
    run = subprocess.run([sys.executable, "-m", "engine.cli", "paint", "--help"], cwd=REPO,
                         capture_output=True, text=True, timeout=60)
    text = " ".join(run.stdout.split())
    assert "{instant,fast,balanced,best}" in text and "{content,noise,look}" in text
    assert "instant: the first look" in text and "look: the first look" in text


@pytest.mark.e2e
def test_an_instant_painting_never_loads_keras(workspace):
    """Fast because nothing heavy loads: ``sys.modules`` after an instant painting."""
    tmp, env = workspace
    code = textwrap.dedent(f"""
        import json, sys, time
        from engine.cli import main
        started = time.monotonic()
        code = main(["paint", {str(tmp / "photo.jpg")!r}, "--style", "stripes",
                     "--quality", "instant", "-o", {str(tmp / "look.jpg")!r}])
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in
                       ("keras", "tensorflow", "jax", "scipy"))
        print(json.dumps({{"code": code, "heavy": heavy,
                           "seconds": time.monotonic() - started}}))
    """)
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         timeout=120, env={**os.environ, **env})
    assert run.returncode == 0, run.stderr[-2000:]
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["code"] == 0 and figures["heavy"] == []
    assert figures["seconds"] < 20  # ~0.5 s; a loaded CI machine gets room
    assert (tmp / "look.jpg").exists()
    # …and through the console command as a person runs it
    run = lienzo("paint", tmp / "photo.jpg", "--style", "stripes", "--quality", "instant",
                 "--size", "64", "-o", tmp / "look.png", env_extra=env, timeout=120)
    assert run.returncode == 0 and Image.open(tmp / "look.png").size == (64, 48)


def test_block_paints_in_blocks_and_says_so(here, capsys):
    """``--block N``: the picture evaluated in N px blocks (the same picture as whole)."""
    out = here / "print.png"
    assert main(["paint", str(here / "photo.jpg"), "--style", "stripes", "--size", "160",
                 "--block", "64", "--iterations", "1", "-o", str(out)]) == 0
    assert Image.open(out).size == (160, 120)
    assert "in 64 px blocks" in capsys.readouterr().out


@pytest.mark.parametrize("block", ["100", "16", "-32"])
def test_a_block_off_the_grid_is_one_clear_line(here, capsys, block):
    assert main(["paint", str(here / "photo.jpg"), "--style", "stripes", "--size", "64",
                 "--block", block, "-o", str(here / "x.jpg")]) == 2
    err = capsys.readouterr().err.strip()
    assert "block must be 0 (the whole picture) or a multiple of 16" in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
