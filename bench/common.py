"""Shared pieces of the benchmarks: the pictures, the machine, FLOP counts, docs,
and the environment of the Python processes they start.

Nothing here imports keras, so a parent process can use it before choosing
``KERAS_BACKEND`` for its workers.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
DOCS = ROOT / "docs" / "benchmarks.md"


# -- the pictures ---------------------------------------------------------------
def make_content(width: int = 640, height: int = 480) -> np.ndarray:
    """A deterministic 'photo': smooth sky and ground gradients, a sun, houses, a tree."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    t = yy / height
    sky = np.stack([90 + 150 * t, 140 + 80 * t, 230 - 60 * t], axis=-1)
    ground = np.stack([60 + 40 * xx / width, 120 + 50 * (1 - t), 50 + 20 * t], axis=-1)
    horizon = 0.62 * height + 18 * np.sin(xx / width * 2 * np.pi)
    img = np.where((yy < horizon)[..., None], sky, ground)
    picture = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(picture)
    draw.ellipse([470, 50, 570, 150], fill=(255, 214, 90))
    houses = [(80, 250, 200, 330, (200, 70, 60)), (230, 270, 320, 335, (235, 225, 200)),
              (350, 240, 440, 330, (90, 110, 170))]
    for x0, y0, x1, y1, colour in houses:
        draw.rectangle([x0, y0, x1, y1], fill=colour)
        draw.polygon([(x0 - 10, y0), ((x0 + x1) / 2, y0 - 50), (x1 + 10, y0)], fill=(120, 50, 40))
        draw.rectangle([x0 + 15, y0 + 20, x0 + 40, y0 + 45], fill=(250, 240, 150))
    draw.rectangle([520, 230, 540, 340], fill=(90, 60, 30))
    draw.ellipse([470, 150, 590, 260], fill=(40, 110, 50))
    draw.ellipse([40, 380, 300, 440], fill=(70, 120, 190))  # a pond
    return np.asarray(picture.filter(ImageFilter.GaussianBlur(1.5)))


def make_style(side: int = 512, seed: int = 7) -> np.ndarray:
    """A deterministic busy 'painting': swirling stripes under short coloured strokes."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32) / side
    swirl = np.sin(40 * xx + 12 * np.sin(6 * yy)) * np.cos(31 * yy + 9 * np.sin(5 * xx))
    base = np.stack([30 + 40 * swirl, 60 + 50 * swirl, 120 + 80 * swirl], axis=-1)
    picture = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(picture)
    palette = np.array([(250, 220, 60), (240, 240, 210), (30, 60, 160), (20, 30, 80),
                        (90, 160, 220), (200, 120, 30), (20, 90, 60)])
    for _ in range(1800):
        x, y = rng.uniform(0, side, 2)
        angle = rng.uniform(0, np.pi)
        length = rng.uniform(6, 26)
        colour = tuple(int(c) for c in np.clip(palette[rng.integers(len(palette))]
                                               + rng.normal(0, 18, 3), 0, 255))
        dx, dy = length * np.cos(angle), length * np.sin(angle)
        draw.line([(x - dx, y - dy), (x + dx, y + dy)], fill=colour, width=int(rng.integers(2, 6)))
    return np.asarray(picture)


def pictures(photo: str | None = None, style: str | None = None):
    """(content, style) as H×W×3 uint8: generated, or files named on the command line."""
    if photo or style:
        from engine.media.images import load_image  # keras-free module

    content = load_image(photo) if photo else make_content()
    painting = load_image(style) if style else make_style()
    return content, painting


# -- FLOPs of the step ----------------------------------------------------------
# VGG19's 3×3 convolutions up to block5_conv1 (the engine's cut for the default
# layers): (name, input channels, output channels, downsampling factor).
VGG19_CONVS = (
    ("block1_conv1", 3, 64, 1), ("block1_conv2", 64, 64, 1),
    ("block2_conv1", 64, 128, 2), ("block2_conv2", 128, 128, 2),
    ("block3_conv1", 128, 256, 4), ("block3_conv2", 256, 256, 4),
    ("block3_conv3", 256, 256, 4), ("block3_conv4", 256, 256, 4),
    ("block4_conv1", 256, 512, 8), ("block4_conv2", 512, 512, 8),
    ("block4_conv3", 512, 512, 8), ("block4_conv4", 512, 512, 8),
    ("block5_conv1", 512, 512, 16),
)
GRAM_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")


def vgg_forward_flops(width: int, height: int, last: str = "block5_conv1") -> dict:
    """Forward FLOPs (multiply + add = 2) of the convolutions up to ``last`` and the Grams.

    Max-pooling floors odd sides, as Keras does ('valid' 2×2 pooling).
    """
    conv = gram = 0
    for name, cin, cout, down in VGG19_CONVS:
        h, w = height, width
        for _ in range(int(np.log2(down))):
            h, w = h // 2, w // 2
        conv += 2 * 9 * cin * cout * h * w
        if name in GRAM_LAYERS:
            gram += 2 * h * w * cout * cout
        if name == last:
            break
    return {"conv": conv, "gram": gram, "total": conv + gram}


# -- the machine ----------------------------------------------------------------
def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gib = None
    try:
        found = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
    except OSError:
        found = None
    if found is not None:
        ram_gib = round(int(found.group(1)) / 2**20, 1)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": ram_gib,
        "python": platform.python_version(),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def versions(packages=("keras", "tensorflow", "jax", "jaxlib", "numpy", "scipy")) -> dict:
    from importlib import metadata

    out: dict[str, str | None] = {}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def git_revision() -> str | None:
    try:
        return subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


# -- child processes ------------------------------------------------------------
def child_env(**overrides: str) -> dict[str, str]:
    """``os.environ`` plus ``overrides`` for a child ``python -m bench.<name>`` (or any
    Python that imports ``bench``, ``bot``, ``engine`` or ``tests``): the repository root
    first on ``PYTHONPATH``, so the child finds this checkout from any working folder."""
    env = dict(os.environ, **overrides)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


# -- output ---------------------------------------------------------------------
def table(headers: list[str], rows: list[list]) -> str:
    """A Markdown table; floats keep the text they were given."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def publish(name: str, text: str) -> None:
    """docs/benchmarks.md's generated block ``name`` rewritten with ``text``, or why not."""
    if replace_block(DOCS, name, text):
        print(f"\nwrote {DOCS}")
    else:
        print(f"\n{DOCS} has no {name} markers; not written", file=sys.stderr)


def conclude(name: str, data: dict, text: str, json_path: Path, *, docs: bool, root: Path,
             keep: bool, footer: str = "") -> None:
    """The end of a run that worked in ``root``: the raw numbers to ``json_path``, the
    report printed (then ``footer``), docs/benchmarks.md's block ``name`` rewritten
    when ``docs``, the work folder kept (``keep``, for its logs) or removed."""
    dump(json_path, data)
    print()
    print(text)
    if footer:
        print(footer)
    if docs:
        publish(name, text)
    if keep:
        print(f"work folder: {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)


def replace_block(path: Path, name: str, text: str) -> bool:
    """Put ``text`` between ``<!-- BEGIN name -->`` and ``<!-- END name -->`` in ``path``.

    Returns False (and leaves the file alone) when the markers are missing.
    """
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    if not path.exists():
        return False
    doc = path.read_text()
    i, j = doc.find(begin), doc.find(end)
    if i < 0 or j < i:
        return False
    path.write_text(doc[: i + len(begin)] + "\n" + text.strip() + "\n" + doc[j:])
    return True


def dump(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, default=float))


def fmt(value, digits: int = 3) -> str:
    """A number in a table: 3 significant digits, '—' for None."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if value == 0:
        return "0"
    if abs(value) >= 10 ** digits or abs(value) < 10 ** -2:
        return f"{value:.{digits - 1}e}"
    return f"{value:.{digits}g}"


def adam_inputs(engine, content: np.ndarray, style: np.ndarray, params, size: int) -> dict:
    """Everything one compiled ``Engine._plain.adam_step`` needs at ``size`` px, built the
    way ``Engine.stylize`` builds it: the start image ``x``, the targets ``ct``/``gt``,
    ``coefs``, the first step's learning rate ``lr`` and the scaled content's ``(w, h)``."""
    from keras import ops

    from engine.core.optimisers import batch as _batch
    from engine.media import images

    w, h = images.fit_within(content.shape[1], content.shape[0], size)
    scaled = images.resize_to(content, w, h)
    ct, gt = engine.targets(scaled, [(style, 1.0)], params, size)
    lr = ops.convert_to_tensor(params.learning_rate, dtype="float32")
    return {"x": _batch(scaled.astype(np.float32)), "ct": ct, "gt": gt,
            "coefs": engine.coefs(params), "lr": lr, "size": (w, h)}
