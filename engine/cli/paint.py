"""``lienzo paint``: a photo, or a clip, painted on the command line
(docs/architecture.md, "The engine"; README, "Command line").

A photo is painted by ``Engine.stylize`` into a JPEG or PNG (``--timelapse``:
the painting as it forms, as an MP4 too).  A clip (a GIF or a video, told apart
from a photo by its file name: ``reading.is_clip``) takes the same options plus
``--temporal-weight`` (0 turns the temporal loss off, to compare), ``--fps`` and
``--seconds``: it is read by engine.clip.reading, painted by engine.clip.stylize
and written as an MP4 (H.264, yuv420p: engine.media.mp4) whatever came in.
Keras and FFmpeg are imported only once a picture is to be painted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from engine import config
from engine.config import EngineSettings
from engine.errors import LienzoError
from engine.params import (
    BRUSHES,
    COLOR_MODES,
    FACES,
    INITS,
    MIN_SIZE,
    OPTIMIZERS,
    QUALITIES,
    STRENGTHS,
    StyleParams,
    brush_scale,
    strength_value,
)

if TYPE_CHECKING:
    from engine.core.progress import Progress
    from engine.media.images import RGB


def _style_arg(text: str) -> tuple[str, float]:
    """'starry_night' → ('starry_night', 1.0); 'the_scream:0.3' → ('the_scream', 0.3)."""
    name, _, weight = text.rpartition(":") if ":" in text else (text, "", "1")
    try:
        value = float(weight)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad weight in '{text}' (use ID:WEIGHT)") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"weight must be positive in '{text}'")
    return name, value


def add_arguments(paint: argparse.ArgumentParser) -> None:
    paint.add_argument("photo", type=Path)
    paint.add_argument("--style", "-s", action="append", type=_style_arg, default=[],
                       metavar="ID[:WEIGHT]", help="catalogue style; repeat to blend")
    paint.add_argument("--style-image", action="append", type=_style_arg, default=[],
                       metavar="FILE[:WEIGHT]", help="your own painting; repeat to blend")
    paint.add_argument("--strength", default="medium",
                       help=f"{', '.join(STRENGTHS)} or a number (style weight multiplier)")
    paint.add_argument("--keep-colors", action="store_const", const="keep", dest="colors",
                       help="keep the photo's colours")
    paint.add_argument("--colors", choices=COLOR_MODES)
    paint.set_defaults(colors="style")
    paint.add_argument("--size", type=int, default=None, help="long side of the output, px")
    paint.add_argument("--quality", choices=list(QUALITIES), default=None)
    paint.add_argument("--optimizer", choices=OPTIMIZERS, default="adam")
    paint.add_argument("--brush", choices=list(BRUSHES), default=None,
                       help="stroke size (sets --style-scale: "
                            + ", ".join(f"{k} {v}" for k, v in BRUSHES.items()) + ")")
    paint.add_argument("--style-scale", type=float, default=None,
                       help="measure the painting at this fraction of the output size")
    paint.add_argument("--faces", choices=FACES, default="soft",
                       help="faces found in the photo: soft (default: lightly painted, "
                            "photo colours), keep (not painted) or paint (like the rest)")
    paint.add_argument("--mask", type=Path, default=None, metavar="IMAGE",
                       help="two styles in one picture: white = the first --style, "
                            "black = the second (same size as the photo)")
    paint.add_argument("--iterations", type=int, default=None, help="steps per scale")
    paint.add_argument("--time-budget", type=float, default=None, metavar="SECONDS")
    paint.add_argument("--seed", type=int, default=0)
    paint.add_argument("--init", choices=INITS, default="content")
    paint.add_argument("--precision", choices=config.PRECISIONS, default=None,
                       help="convolutions in fp32 or bf16 (default: $LIENZO_PRECISION, else auto)")
    paint.add_argument("-o", "--output", type=Path, default=None,
                       help="output file (.jpg or .png; .mp4 for a GIF or video); "
                            "default <photo>-lienzo.jpg (.mp4)")
    paint.add_argument("--timelapse", type=Path, default=None, metavar="MP4",
                       help="also write the painting as it forms to this MP4 (H.264, ≤ 6 s)")
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


def main(args: argparse.Namespace) -> int:
    """``lienzo paint``: the settings read here, once (docs/architecture.md, "Settings")."""
    from engine.catalogue import styles
    from engine.clip import reading
    from engine.media import images

    if not args.style and not args.style_image:
        raise LienzoError("Name at least one --style ID or --style-image FILE.")
    settings = config.load()
    catalog = styles.load_catalog(settings.styles_dir, settings.style_cache_dir)
    chosen = [(styles.style_image(name, catalog), w) for name, w in args.style]
    chosen += [(images.load_image(Path(path)), w) for path, w in args.style_image]
    if reading.is_clip(args.photo):  # a GIF or a video
        return _paint_clip(args, settings, chosen)
    return _paint_photo(args, settings, chosen)


def _paint_photo(args: argparse.Namespace, settings: EngineSettings,
                 chosen: Sequence[tuple[RGB, float]]) -> int:
    from tqdm import tqdm

    from engine.core import backend, regions
    from engine.core.transfer import get_engine
    from engine.media import images, timelapse

    content = images.load_image(args.photo)
    mask = None
    if args.mask is not None:
        if len(chosen) != 2:
            raise LienzoError("--mask needs exactly two styles: white gets the first, "
                              "black the second.")
        mask = regions.load_mask(args.mask.read_bytes(), content.shape[1], content.shape[0])
    defaults = settings.defaults_for(backend.has_gpu())
    params = style_params(args, defaults.size, defaults.quality,
                          "mask" if mask is not None else "none")
    output = args.output or Path(f"{args.photo.stem}-lienzo.jpg")
    with tqdm(total=sum(n for _, n in params.schedule()), unit="step", file=sys.stderr) as bar:

        def on_progress(p: Progress) -> None:
            bar.update(p.step - bar.n)
            bar.set_postfix(scale=f"{p.scale}/{p.scales}", loss=f"{p.loss:.4g}", refresh=False)

        engine = get_engine(settings.weights, params.pooling,
                            args.precision or settings.precision, gpu=settings.gpu,
                            keras_home=settings.keras_home)
        snaps = timelapse.Snapshots(*timelapse.frame_size(content.shape[1], content.shape[0],
                                                          params.size))
        result = engine.stylize(content, chosen, params, on_progress=on_progress, mask=mask,
                                on_preview=snaps.add if args.timelapse else None,
                                preview_every=timelapse.preview_every(params))
    if args.timelapse:
        clip = timelapse.to_mp4(snaps.finish(content, result.image))
        args.timelapse.write_bytes(clip.mp4)
    data = images.encode_png(result.image) if output.suffix.lower() == ".png" else \
        images.encode_jpeg(result.image)
    output.write_bytes(data)
    s = result.stats
    note = " (time budget reached: best so far)" if s["stopped"] else ""
    if s["faces"]:
        note += f"  {s['faces']} face(s) {'kept' if params.faces == 'keep' else 'protected'}"
    print(f"{output}  {s['size'][0]}x{s['size'][1]}  {s['iterations']} steps  "
          f"{s['seconds']:.1f} s  {s['backend']} on {s['device']}{note}")
    return 0


def _paint_clip(args: argparse.Namespace, settings: EngineSettings,
                chosen: Sequence[tuple[RGB, float]]) -> int:
    """Paint ``args.photo`` as a clip into an MP4, with the parameters built from the
    options exactly as for a photo."""
    from tqdm import tqdm

    from engine.clip import reading
    from engine.clip.stylize import stylize_clip
    from engine.core import backend, regions
    from engine.core.transfer import get_engine
    from engine.media import mp4

    output = args.output or Path(f"{args.photo.stem}-lienzo.mp4")
    if output.suffix.lower() != ".mp4":
        raise LienzoError(f"A moving picture is written as an .mp4 file, not {output.name}.")
    if args.timelapse:
        raise LienzoError("--timelapse is for photos; a moving picture is already one.")
    if args.temporal_weight < 0:
        raise LienzoError("--temporal-weight must be 0 or more.")
    defaults = settings.defaults_for(backend.has_gpu())
    clip = reading.read_clip(args.photo.read_bytes(), seconds=args.seconds, fps=args.fps,
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
    engine = get_engine(settings.weights, params.pooling, args.precision or settings.precision,
                        gpu=settings.gpu, keras_home=settings.keras_home)
    with tqdm(total=len(clip.frames), unit="frame", file=sys.stderr) as bar:

        def on_progress(p: Progress) -> None:
            if p.frame - 1 > bar.n:  # the frames before this one are done
                bar.update(p.frame - 1 - bar.n)
            bar.set_postfix(step=f"{p.step}/{p.steps}", loss=f"{p.loss:.4g}", refresh=False)

        result = stylize_clip(engine.stylize, clip.frames, chosen, params,
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


def style_params(args: argparse.Namespace, size: int, quality: str, split: str) -> StyleParams:
    """``lienzo paint``'s options as parameters (photos and clips alike); ``size`` and
    ``quality`` are the machine's defaults."""
    if args.brush and args.style_scale is not None:
        raise LienzoError("Give --brush or --style-scale, not both.")
    return StyleParams(
        size=args.size or size,
        quality=args.quality or quality,
        strength=strength_value(args.strength),
        color_mode=args.colors,
        style_scale=(brush_scale(args.brush) if args.brush
                     else 1.0 if args.style_scale is None else args.style_scale),
        faces=args.faces,
        split=split,
        optimizer=args.optimizer,
        init=args.init,
        seed=args.seed,
        time_budget_s=args.time_budget,
        iterations=args.iterations,
    )
