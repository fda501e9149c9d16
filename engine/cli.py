"""``lienzo``: the one command line.

Subcommands: ``paint`` (stylise files), ``styles`` (the catalogue), ``worker``
(one engine worker, ``engine.worker.command``) and ``bot`` (registered by the
bot package as an entry point, so the engine never imports the bot).  Anything
a user can get wrong ends as one line on stderr and exit status 2; Keras is
only imported by the subcommands that need it, so ``lienzo styles`` is instant.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import TYPE_CHECKING

from engine import config, paint_clip
from engine.errors import LienzoError
from engine.params import (
    BRUSHES,
    COLOR_MODES,
    FACES,
    INITS,
    OPTIMIZERS,
    QUALITIES,
    STRENGTHS,
    StyleParams,
    brush_scale,
    strength_value,
)
from engine.worker import command as worker_command

if TYPE_CHECKING:
    from engine.progress import Progress

EXIT_USAGE = 2


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


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lienzo", description="Repaint photos as paintings.")
    sub = parser.add_subparsers(dest="command", required=True)

    paint = sub.add_parser("paint", help="stylise a photo")
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
    paint_clip.add_arguments(paint)  # moving pictures: --temporal-weight, --fps, --seconds

    worker = sub.add_parser("worker", help="run one engine worker (takes jobs from the queue)")
    worker_command.add_arguments(worker)

    for name, entry in _plugins().items():  # `lienzo bot`, from the bot package
        sub.add_parser(name, help=f"provided by {entry.value.split(':')[0]}")

    styles = sub.add_parser("styles", help="list the style catalogue")
    styles.add_argument("--sheet", type=Path, default=None,
                        help="also write a contact sheet of all styles to this JPEG file")
    styles.add_argument("--download", action="store_true",
                        help="fetch every catalogue image into the cache now; fail if any "
                             "cannot be had (for images built to run offline)")
    return parser


def _paint(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from engine import backend, clips, images, regions, styles, timelapse
    from engine.transfer import get_engine

    if not args.style and not args.style_image:
        raise LienzoError("Name at least one --style ID or --style-image FILE.")
    settings = config.load()
    catalog = styles.load_catalog(settings.styles_dir, settings.style_cache_dir)
    chosen = [(styles.style_image(name, catalog), w) for name, w in args.style]
    chosen += [(images.load_image(Path(path)), w) for path, w in args.style_image]
    if clips.is_clip(args.photo):  # a GIF or a video: engine/paint_clip.py
        return paint_clip.paint(args, settings, chosen, style_params)
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
                            args.precision or settings.precision)
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


def style_params(args: argparse.Namespace, size: int, quality: str, split: str) -> StyleParams:
    """``lienzo paint``'s options as parameters (photos and moving pictures alike);
    ``size`` and ``quality`` are the machine's defaults."""
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


def _plugins() -> dict[str, EntryPoint]:
    """Subcommands other packages add (entry points ``lienzo.commands``).

    The engine never imports the bot; the bot registers ``lienzo bot`` here.
    """
    return {ep.name: ep for ep in entry_points(group="lienzo.commands")}


def _styles(args: argparse.Namespace) -> int:
    from engine import styles

    settings = config.load()
    catalog = styles.load_catalog(settings.styles_dir, settings.style_cache_dir)
    for style in catalog.values():
        origin = f"  [{style.path}]" if style.path else ""
        print(f"{style.id:20} {style.title} - {style.artist}, {style.year}{origin}")
    if args.download:
        for style_id in catalog:
            styles.style_image_bytes(style_id, catalog)  # raises StyleUnavailable
        print(f"{len(catalog)} style images cached in {settings.style_cache_dir}")
    if args.sheet:
        args.sheet.write_bytes(styles.contact_sheet(catalog))
        print(f"contact sheet: {args.sheet}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        commands = {"paint": _paint, "styles": _styles, "worker": worker_command.main}
        if args.command not in commands:
            command: Callable[[], int] = _plugins()[args.command].load()
            return command()
        return commands[args.command](args)
    except LienzoError as exc:
        print(f"lienzo: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # unreadable input, unwritable output
        print(f"lienzo: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
              file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
