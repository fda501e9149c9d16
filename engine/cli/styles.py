"""``lienzo styles``: the catalogue listed, its images fetched into the cache
(``--download``, for images built to run offline), its contact sheet drawn."""

from __future__ import annotations

import argparse
from pathlib import Path

from engine import config


def add_arguments(styles: argparse.ArgumentParser) -> None:
    styles.add_argument("--sheet", type=Path, default=None,
                        help="also write a contact sheet of all styles to this JPEG file")
    styles.add_argument("--download", action="store_true",
                        help="fetch every catalogue image into the cache now; fail if any "
                             "cannot be had (for images built to run offline)")


def main(args: argparse.Namespace) -> int:
    """``lienzo styles``: the settings read here, once (docs/architecture.md, "Settings")."""
    from engine.catalogue import styles

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
