"""``lienzo paint``: a photo, or a clip, painted on the command line
(docs/architecture.md, "The engine"; README, "Command line").

A photo is painted by ``Engine.stylize`` into a JPEG or PNG (``--timelapse``:
the painting as it forms, as an MP4 too).  A clip (a GIF or a video, told apart
from a photo by its file name: ``reading.is_clip``) takes the same options plus
``--temporal-weight`` (0 turns the temporal loss off, to compare), ``--fps`` and
``--seconds``: it is read by engine.clip.reading, painted by engine.clip.stylize
and written as an MP4 (H.264, yuv420p: engine.media.mp4) whatever came in.
Keras and FFmpeg are imported only once a picture is to be painted.

The first look (engine.look, docs/architecture.md "The first look"): ``--quality
instant`` writes it as the picture (a clip: every frame's look) without loading Keras
or VGG19 at all, so it takes about a second; the network runs on the CPU whatever the
machine, so the CPU-only machine's default size applies (384 px; ``--size``).
``--init look`` paints the look first and starts the optimisation from it (a clip
starts from its frames).  ``LIENZO_DEFAULT_QUALITY=instant`` makes instant the default.
"""

from __future__ import annotations

import argparse
import sys
import time
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
    INSTANT,
    MIN_SIZE,
    OPTIMIZERS,
    QUALITY_NAMES,
    STRENGTHS,
    StyleParams,
    brush_scale,
    strength_value,
)

if TYPE_CHECKING:
    from engine.core.progress import Progress
    from engine.media.images import RGB

LOOK_THREADS = 0  # onnxruntime's own choice: every core (the command line has the machine)


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
    paint.add_argument("--quality", choices=QUALITY_NAMES, default=None,
                       help="instant: the first look, a feed-forward painting in about a "
                            "second, no optimisation (no Keras, ~384 px of detail); fast, "
                            "balanced, best: the optimisation, longer and finer (default: "
                            "$LIENZO_DEFAULT_QUALITY, else this machine's)")
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
    paint.add_argument("--block", type=int, default=None, metavar="N",
                       help="evaluate VGG19 in N px blocks (a multiple of 16; 0: the whole "
                            "picture at once); default: whichever fits this machine's memory")
    paint.add_argument("--seed", type=int, default=0)
    paint.add_argument("--init", choices=INITS, default="content",
                       help="the optimisation's starting picture: the photo (default), noise, "
                            "or look: the first look (the instant painting), refined")
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


def _instant(args: argparse.Namespace, settings: EngineSettings) -> bool:
    """Whether the picture is the first look: ``--quality instant``, or no quality
    asked for and ``LIENZO_DEFAULT_QUALITY=instant``."""
    return (args.quality or settings.default_quality) == INSTANT


def _paint_instant(args: argparse.Namespace, settings: EngineSettings, content: RGB,
                   chosen: Sequence[tuple[RGB, float]]) -> int:
    """The first look as the picture: engine.look only, no Keras."""
    from engine.look import painting
    from engine.look.network import LookNetwork
    from engine.media import images

    if args.mask is not None or args.timelapse:
        raise LienzoError("--mask and --timelapse need the optimisation; "
                          "--quality instant paints the first look only.")
    started = time.monotonic()
    defaults = settings.defaults_for(False)  # the look runs on the CPU on any machine
    params = style_params(args, defaults.size, INSTANT, "none")
    look = painting.paint_pictures(LookNetwork(threads=LOOK_THREADS), content, chosen, params)
    output = args.output or Path(f"{args.photo.stem}-lienzo.jpg")
    output.write_bytes(images.encode_png(look) if output.suffix.lower() == ".png"
                       else images.encode_jpeg(look))
    print(f"{output}  {look.shape[1]}x{look.shape[0]}  first look (instant)  "
          f"{time.monotonic() - started:.1f} s  onnxruntime on CPU")
    return 0


def _first_look(content: RGB, chosen: Sequence[tuple[RGB, float]],
                params: StyleParams) -> RGB | None:
    """``--init look``: the look to start from; None (with a note) if the network
    refuses the picture, and the painting starts from the photo."""
    from engine.look import painting
    from engine.look.network import LookFailed, LookNetwork

    if params.init != "look":
        return None
    try:
        return painting.paint_pictures(LookNetwork(threads=LOOK_THREADS), content, chosen, params)
    except LookFailed as exc:
        print(f"lienzo: {exc}; starting from the photo", file=sys.stderr)
        return None


def _paint_photo(args: argparse.Namespace, settings: EngineSettings,
                 chosen: Sequence[tuple[RGB, float]]) -> int:
    from engine.media import images

    content = images.load_image(args.photo)
    if _instant(args, settings):
        return _paint_instant(args, settings, content, chosen)

    from tqdm import tqdm

    from engine.core import backend, regions
    from engine.core.transfer import get_engine
    from engine.media import timelapse

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
    start = _first_look(content, chosen, params)
    if params.init == "look" and start is None:
        params = params.replace(init="content")
    with tqdm(total=sum(n for _, n in params.schedule()), unit="step", file=sys.stderr) as bar:

        def on_progress(p: Progress) -> None:
            bar.update(p.step - bar.n)
            bar.set_postfix(scale=f"{p.scale}/{p.scales}", loss=f"{p.loss:.4g}", refresh=False)

        engine = get_engine(settings.weights, params.pooling,
                            args.precision or settings.precision, gpu=settings.gpu,
                            keras_home=settings.keras_home)
        snaps = timelapse.Snapshots(*timelapse.frame_size(content.shape[1], content.shape[0],
                                                          params.size))
        if start is not None and args.timelapse:
            snaps.add(start)
        result = engine.stylize(content, chosen, params, on_progress=on_progress, mask=mask,
                                on_preview=snaps.add if args.timelapse else None,
                                preview_every=timelapse.preview_every(params), start=start)
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
    if s["block"]:
        note += f"  in {s['block']} px blocks"
    print(f"{output}  {s['size'][0]}x{s['size'][1]}  {s['iterations']} steps  "
          f"{s['seconds']:.1f} s  {s['backend']} on {s['device']}{note}")
    return 0


def _paint_clip(args: argparse.Namespace, settings: EngineSettings,
                chosen: Sequence[tuple[RGB, float]]) -> int:
    """Paint ``args.photo`` as a clip into an MP4, with the parameters built from the
    options exactly as for a photo (``--quality instant``: every frame's first look)."""
    from engine.clip import reading
    from engine.media import mp4

    output = args.output or Path(f"{args.photo.stem}-lienzo.mp4")
    if output.suffix.lower() != ".mp4":
        raise LienzoError(f"A moving picture is written as an .mp4 file, not {output.name}.")
    if args.timelapse:
        raise LienzoError("--timelapse is for photos; a moving picture is already one.")
    if args.temporal_weight < 0:
        raise LienzoError("--temporal-weight must be 0 or more.")
    if _instant(args, settings):
        return _instant_clip(args, settings, chosen, output)

    from tqdm import tqdm

    from engine.clip.stylize import stylize_clip
    from engine.core import backend, regions
    from engine.core.transfer import get_engine

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


def _instant_clip(args: argparse.Namespace, settings: EngineSettings,
                  chosen: Sequence[tuple[RGB, float]], output: Path) -> int:
    """Every frame's first look, in one style vector, as an MP4: no Keras."""
    from engine.clip import reading
    from engine.look import painting
    from engine.look.network import LookNetwork
    from engine.media import mp4

    if args.mask is not None:
        raise LienzoError("--mask needs the optimisation; --quality instant paints the "
                          "first look only.")
    started = time.monotonic()
    defaults = settings.defaults_for(False)  # the look runs on the CPU on any machine
    clip = reading.read_clip(args.photo.read_bytes(), seconds=args.seconds, fps=args.fps,
                             max_side=args.size or defaults.clip_side)
    h, w = clip.frames[0].shape[:2]
    params = style_params(args, defaults.clip_side, INSTANT, "none").replace(
        size=max(MIN_SIZE, w, h))
    network = LookNetwork(threads=LOOK_THREADS)
    frames = painting.paint_frames(network, clip.frames, painting.vectors_of(network, chosen),
                                   params)
    output.write_bytes(mp4.encode(frames, clip.fps))
    note = f"  first {args.seconds:g} s only" if clip.cut else ""
    print(f"{output}  {frames[0].shape[1]}x{frames[0].shape[0]}  {len(frames)} frames at "
          f"{clip.fps:g} fps  first look (instant)  {time.monotonic() - started:.1f} s  "
          f"onnxruntime on CPU{note}")
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
        block=args.block,
    )
