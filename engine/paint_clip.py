"""``lienzo paint clip.gif|clip.mp4``: a moving picture painted on the command line
(docs/architecture.md, "The engine"; README, "Command line").

The same options as a photo (style, strength, colours, size, quality, faces …)
plus ``--temporal-weight`` (0 turns the temporal loss off, to compare),
``--fps`` and ``--seconds``; the clip is read by engine.clips, painted by
engine.video and written as an MP4 (H.264, yuv420p: engine.mp4) whatever came
in.  A clip is told apart from a photo by its file name (``clips.is_clip``).
Kept out of engine/cli.py so that the command line module stays small.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from engine import config
from engine.errors import LienzoError
from engine.params import MIN_SIZE, StyleParams

if TYPE_CHECKING:
    from engine.images import RGB
    from engine.progress import Progress

ParamsFn = Callable[[argparse.Namespace, int, str, str], StyleParams]


def add_arguments(paint: argparse.ArgumentParser) -> None:
    """``lienzo paint``'s options for moving pictures."""
    paint.add_argument("--temporal-weight", type=float, default=config.CLIP_TEMPORAL_WEIGHT,
                       metavar="W", help="moving pictures: how firmly each frame keeps the "
                       "last one's strokes where they moved to (0: off, to compare; "
                       f"default {config.CLIP_TEMPORAL_WEIGHT:g})")
    paint.add_argument("--fps", type=float, default=config.CLIP_FPS,
                       help=f"moving pictures: frames a second at most (default "
                            f"{config.CLIP_FPS:g})")
    paint.add_argument("--seconds", type=float, default=config.CLIP_SECONDS,
                       help=f"moving pictures: paint the first SECONDS (default "
                            f"{config.CLIP_SECONDS:g})")


def paint(args: argparse.Namespace, settings: config.EngineSettings,
          chosen: Sequence[tuple[RGB, float]], style_params: ParamsFn) -> int:
    """Paint ``args.photo`` as a moving picture into an MP4; ``style_params`` builds
    the parameters from the options exactly as for a photo (engine.cli)."""
    from tqdm import tqdm

    from engine import backend, clips, mp4, regions, video  # Keras, FFmpeg: only now
    from engine.transfer import get_engine

    output = args.output or Path(f"{args.photo.stem}-lienzo.mp4")
    if output.suffix.lower() != ".mp4":
        raise LienzoError(f"A moving picture is written as an .mp4 file, not {output.name}.")
    if args.timelapse:
        raise LienzoError("--timelapse is for photos; a moving picture is already one.")
    if args.temporal_weight < 0:
        raise LienzoError("--temporal-weight must be 0 or more.")
    defaults = settings.defaults_for(backend.has_gpu())
    clip = clips.read_clip(args.photo.read_bytes(), seconds=args.seconds, fps=args.fps,
                           max_side=args.size or defaults.clip_side)
    h, w = clip.frames[0].shape[:2]
    mask = None
    if args.mask is not None:
        if len(chosen) != 2:
            raise LienzoError("--mask needs exactly two styles: white gets the first, "
                              "black the second.")
        mask = regions.load_mask(args.mask.read_bytes(), w, h)
    params = style_params(args, defaults.clip_side, defaults.quality,
                          "none" if mask is None else "mask").replace(size=max(MIN_SIZE, w, h))
    engine = get_engine(settings.weights, params.pooling, args.precision or settings.precision)
    with tqdm(total=len(clip.frames), unit="frame", file=sys.stderr) as bar:

        def on_progress(p: Progress) -> None:
            if p.frame - 1 > bar.n:  # the frames before this one are done
                bar.update(p.frame - 1 - bar.n)
            bar.set_postfix(step=f"{p.step}/{p.steps}", loss=f"{p.loss:.4g}", refresh=False)

        result = video.stylize_clip(engine.stylize, clip.frames, chosen, params,
                                    args.temporal_weight, on_progress=on_progress, mask=mask)
        bar.update(len(clip.frames) - bar.n)
    output.write_bytes(mp4.encode(result.frames, clip.fps))
    s = result.stats
    note = f"  first {args.seconds:g} s only" if clip.cut else ""
    note += "  (time budget reached: best so far)" if s["stopped"] else ""
    flicker = "" if s["warp_error"] is None else f"  warp error {s['warp_error']:.2f}"
    print(f"{output}  {s['size'][0]}x{s['size'][1]}  {s['frames']} frames at {clip.fps:g} fps  "
          f"{s['iterations']} steps  {s['seconds']:.1f} s{flicker}  "
          f"{s['backend']} on {s['device']}{note}")
    return 0
