"""The style catalogue: which paintings exist, and getting their pixels.

The catalogue ships with the package (``engine/catalogue/styles.toml``) so every install
offers the same named styles.  The images themselves are not shipped: they are
downloaded from Wikimedia Commons on first use, checked, and cached in
``<LIENZO_DATA_DIR>/styles/``.  Machines without internet (or operators who want
their own paintings) point ``LIENZO_STYLES_DIR`` at a folder of ``<id>.jpg``
files, which override catalogue downloads and add custom styles.  Both folders
are the caller's settings (``EngineSettings.styles_dir`` and ``style_cache_dir``:
docs/architecture.md, "Settings"), passed to ``load_catalog``, which gives each
style its image file.

Nothing here imports Keras (the standard library, NumPy, Pillow and
engine.media.images only), so the bot can list styles and draw the contact sheet
without it.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import logging
import math
import os
import re
import tempfile
import time
import tomllib
import unicodedata
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from importlib import resources
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps

from engine.errors import ImageError, StyleUnavailable, UnknownStyle
from engine.media.images import MAX_BYTES, RGB, decode_image

log = logging.getLogger(__name__)

#: At most 40 characters: a picker button carries the id in its callback data, which
#: Telegram limits to 64 bytes (bot/callback_data.py).
ID_RE = re.compile(r"[a-z0-9_]{1,40}")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")  # order = preference when an id has several files
# Wikimedia blocks generic clients; its policy asks for a name, a contact URL and the library.
USER_AGENT = "Lienzo/0.1 (https://github.com/lienzo-bot/lienzo; style-transfer bot) python-urllib"
DOWNLOAD_TIMEOUT_S = 30.0
MIN_STYLE_SIDE = 64  # smaller than this carries no usable texture (and is likely an icon/error)
SHEET_RETRY_S = 3600  # a contact sheet with grey (failed) tiles is redrawn at most this often

# title_es is required of the packaged catalogue (every painting there has a Spanish
# title); a style made from a LIENZO_STYLES_DIR file has none (Style.title_in falls back).
_REQUIRED = ("id", "title", "title_es", "artist", "year", "source_url", "licence")
_OPTIONAL = ("download_url", "note")


@dataclass(frozen=True)
class Style:
    """One painting. ``path`` is set when the image comes from ``LIENZO_STYLES_DIR``;
    ``cached`` is where a downloaded copy lives (set by ``load_catalog``).
    ``title_es`` is the painting's Spanish title ("La noche estrellada"); empty for
    a style with no catalogue entry, which is shown by ``title`` in every language."""

    id: str
    title: str
    artist: str
    year: str
    source_url: str
    licence: str
    download_url: str | None = None
    path: Path | None = None
    note: str = ""
    cached: Path | None = None
    title_es: str = ""

    def title_in(self, lang: str | None) -> str:
        """The title to show in ``lang``: ``"es"`` → the Spanish title (``title`` when
        there is none); any other language, or ``None`` → ``title``.  ``lang`` is a
        catalogue code ("en", "es"), not a raw Telegram tag such as "es-419"."""
        if lang == "es" and self.title_es:
            return self.title_es
        return self.title

    @property
    def names(self) -> tuple[str, ...]:
        """Every name this style is known by, for searching: the id, the title and the
        Spanish title when set (as written, not lower-cased; no repeats)."""
        return tuple(dict.fromkeys(n for n in (self.id, self.title, self.title_es) if n))

    @property
    def image_file(self) -> Path:
        """Where this style's image is read from: the local file, else the cache."""
        found = self.path or self.cached
        if found is None:
            raise ValueError(f"style {self.id!r} has no image file: load_catalog sets it")
        return found


# --------------------------------------------------------------------------- catalogue


def _packaged_styles() -> list[Style]:
    """Parse the TOML shipped inside the package; a bad entry is a bug, so it raises."""
    packaged = resources.files("engine.catalogue").joinpath("styles.toml")
    text = packaged.read_text(encoding="utf-8")
    styles = []
    for entry in tomllib.loads(text).get("style", []):
        missing = [k for k in _REQUIRED if not isinstance(entry.get(k), str) or not entry[k]]
        unknown = set(entry) - set(_REQUIRED) - set(_OPTIONAL)
        if missing or unknown or not ID_RE.fullmatch(entry["id"]):
            raise ValueError(f"styles.toml: bad entry {entry!r} (missing={missing}, "
                             f"unknown={sorted(unknown)})")
        styles.append(Style(**entry))
    return styles


def _local_files(styles_dir: Path) -> dict[str, Path]:
    """Map id -> image file in ``styles_dir``; names that are not valid ids are skipped."""
    found: dict[str, Path] = {}
    files = [p for p in styles_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()]
    files.sort(key=lambda p: (p.stem.lower(), IMAGE_SUFFIXES.index(p.suffix.lower()), p.name))
    for p in files:
        style_id = p.stem.lower()
        if not ID_RE.fullmatch(style_id):
            log.warning("ignoring %s: style file names must be <id>.jpg with id in [a-z0-9_]", p)
            continue
        found.setdefault(style_id, p)
    return found


def load_catalog(styles_dir: Path | None, cache: Path) -> dict[str, Style]:
    """The packaged catalogue, overridden/extended by a folder of ``<id>.jpg`` files.

    ``styles_dir`` and ``cache`` (where downloads go) are the settings'
    ``LIENZO_STYLES_DIR`` (unset: None, no folder) and ``<data dir>/styles``.
    A file whose id is in the catalogue keeps the painting's titles and artist but
    uses the local image; any other id becomes a new style titled from its id.
    A configured folder that does not exist is logged and ignored, so a typo in
    the variable degrades to downloads instead of taking the bot down.
    """
    catalog: dict[str, Style] = {}
    for style in _packaged_styles():
        if style.id in catalog:
            raise ValueError(f"styles.toml: duplicate id {style.id!r}")
        catalog[style.id] = replace(style, cached=cache / f"{style.id}.jpg")

    if styles_dir is None:
        return catalog
    if not styles_dir.is_dir():
        log.warning("LIENZO_STYLES_DIR %s is not a folder; using the catalogue only", styles_dir)
        return catalog

    for style_id, path in _local_files(styles_dir).items():
        if style_id in catalog:
            catalog[style_id] = replace(catalog[style_id], path=path)
        else:
            catalog[style_id] = Style(
                id=style_id, title=style_id.replace("_", " ").strip().capitalize() or style_id,
                artist="", year="", source_url="", licence="local file", path=path,
                cached=cache / f"{style_id}.jpg")
    return catalog


def normalise(text: str) -> str:
    """'Starry Night Over the Rhône' -> 'starry_night_over_the_rhone': the id form
    (accents dropped, lower case, each run of other characters one underscore)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def suggest(style_id: str, ids: Iterable[str] | Mapping[str, Style], n: int = 3) -> list[str]:
    """Ids the user probably meant, best first (at most ``n``; empty for gibberish).

    Prefix and substring hits come first because they reflect intent ("starry",
    "wave"), then fuzzy matches for typos.  Passing the catalogue (a mapping of
    Style) also matches words of the titles ("kanagawa" -> great_wave).
    """
    query = normalise(style_id)
    if not query:
        return []
    if isinstance(ids, Mapping):
        titles = {i: normalise(getattr(s, "title", "")) for i, s in ids.items()}
    else:
        titles = {i: "" for i in ids}
    all_ids = list(titles)

    ranked: list[str] = [i for i in all_ids if i == query]
    ranked += sorted((i for i in all_ids if i.startswith(query)), key=len)
    if len(query) >= 3:  # shorter fragments match almost everything
        ranked += sorted((i for i in all_ids if query in i), key=len)
        ranked += [i for i in all_ids if titles[i] and query in titles[i]]
    ranked += difflib.get_close_matches(query, all_ids, n=n, cutoff=0.6)
    by_title = {t: i for i, t in titles.items() if t}
    ranked += [by_title[t] for t in difflib.get_close_matches(query, list(by_title), n=n,
                                                               cutoff=0.6)]
    return list(dict.fromkeys(ranked))[:n]


def resolve(style_id: str, catalog: Mapping[str, Style]) -> Style:
    """The style for a user-typed id ("Starry Night" works); UnknownStyle with suggestions."""
    style = catalog.get(style_id) or catalog.get(normalise(style_id))
    if style is None:
        raise UnknownStyle(style_id, suggest(style_id, catalog))
    return style


# --------------------------------------------------------------------------- images


def _unavailable(style: Style, reason: str) -> StyleUnavailable:
    return StyleUnavailable(
        f"Style '{style.id}' is not available: {reason}. If this machine has no internet, "
        f"set LIENZO_STYLES_DIR to a folder containing {style.id}.jpg (any folder of "
        f"<id>.jpg files).")


def _atomic_write(path: Path, data: bytes) -> None:
    """Write via a temp file + os.replace so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _download(style: Style, dest: Path) -> bytes:
    """Fetch ``style.download_url``, check it is a usable image, cache it, return the bytes."""
    url = style.download_url
    if not url:
        raise _unavailable(style, "it has no local file and no download URL")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT_S) as response:
            data: bytes = response.read(MAX_BYTES + 1)  # a 1280 px JPEG is ~0.5 MB
        if len(data) > MAX_BYTES:
            raise ValueError(f"more than {MAX_BYTES} bytes")
        pixels = decode_image(data)
        if min(pixels.shape[:2]) < MIN_STYLE_SIDE:
            raise ValueError(f"image is only {pixels.shape[1]}x{pixels.shape[0]} px")
    except Exception as e:  # URLError, HTTPException, timeouts, ImageError...: all 'unavailable'
        raise _unavailable(style, f"downloading {url} failed ({e})") from e
    _atomic_write(dest, data)
    log.info("cached style %s from %s (%d bytes)", style.id, url, len(data))
    return data


def style_image_bytes(style_id: str, catalog: Mapping[str, Style]) -> bytes:
    """The encoded image of a style: local file, else cache, else a checked download."""
    style = resolve(style_id, catalog)
    if style.path is not None:
        try:
            return style.path.read_bytes()
        except OSError as e:
            raise _unavailable(style, f"cannot read {style.path} ({e})") from e
    try:
        return style.image_file.read_bytes()
    except FileNotFoundError:
        return _download(style, style.image_file)


def style_image(style_id: str, catalog: Mapping[str, Style]) -> RGB:
    """The style as an HxWx3 uint8 array; undecodable files become StyleUnavailable."""
    data = style_image_bytes(style_id, catalog)
    try:
        return decode_image(data)
    except ImageError as e:
        style = resolve(style_id, catalog)
        raise _unavailable(style, f"{style.image_file} is not a usable image ({e})") from e


# --------------------------------------------------------------------------- contact sheet


def _sheet_layout(n: int, thumb: int, columns: int) -> tuple[int, int, int, int, int]:
    """(cols, rows, pad, label height, font size) for n tiles."""
    cols = max(1, min(columns, n))
    rows = max(1, math.ceil(n / cols))
    pad = max(4, thumb // 32)
    font_size = max(10, thumb // 12)
    return cols, rows, pad, font_size + 2 * pad, font_size


def contact_sheet(catalog: Mapping[str, Style],
                  image_loader: Callable[[str], RGB] | None = None,
                  thumb: int = 256, columns: int = 4) -> bytes:
    """A JPEG with a square thumbnail of every style and its id underneath.

    It is what ``/styles`` sends, so one broken style must not break it: a style
    whose image cannot be loaded is drawn as a grey tile (still labelled).
    ``image_loader(style_id)`` defaults to ``style_image`` on this catalogue.
    """
    loader = image_loader or partial(style_image, catalog=catalog)
    ids = list(catalog)
    cols, rows, pad, label_h, font_size = _sheet_layout(len(ids), thumb, columns)
    sheet = Image.new("RGB", (cols * thumb + (cols + 1) * pad,
                              rows * (thumb + label_h) + (rows + 1) * pad), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=font_size)  # scalable in Pillow >= 10.1
    for k, style_id in enumerate(ids):
        x = pad + (k % cols) * (thumb + pad)
        y = pad + (k // cols) * (thumb + label_h + pad)
        try:
            tile = ImageOps.fit(Image.fromarray(np.asarray(loader(style_id))).convert("RGB"),
                                (thumb, thumb), Image.Resampling.LANCZOS)
        except Exception as e:  # any failure becomes a grey tile, not a broken sheet
            log.warning("contact sheet: style %s drawn grey: %s", style_id, e)
            tile = Image.new("RGB", (thumb, thumb), (160, 160, 160))
        sheet.paste(tile, (x, y))
        label = style_id
        while len(label) > 1 and draw.textlength(label, font=font) > thumb:
            label = label[:-2] + "…"
        draw.text((x + thumb / 2, y + thumb + label_h / 2), label, fill="black", font=font,
                  anchor="mm")
    out = io.BytesIO()
    sheet.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def _sheet_key(catalog: Mapping[str, Style], thumb: int, columns: int) -> str:
    """Changes when a style is added/removed or its image file (local or cached) changes.

    While some style has no image yet (its tile is grey), the key also changes
    every SHEET_RETRY_S, so the download is retried now and then rather than on
    every request (slow when offline) or never (grey for ever).
    """
    h = hashlib.sha256(f"{thumb}:{columns}".encode())
    missing = False
    for style_id, style in catalog.items():
        source = style.image_file
        try:
            stamp = source.stat().st_mtime_ns
        except OSError:
            stamp, missing = -1, True
        h.update(f"\n{style_id}\t{source}\t{stamp}".encode())
    if missing:
        h.update(f"\nretry {int(time.time() // SHEET_RETRY_S)}".encode())
    return h.hexdigest()[:16]


def cached_contact_sheet(catalog: Mapping[str, Style], thumb: int = 256, columns: int = 4,
                         *, cache: Path) -> Path:
    """The contact sheet as a file in ``cache`` (the style cache), drawn once per set
    of styles and images.

    The key is recomputed after drawing because drawing downloads missing styles
    (changing their cache mtimes); storing under the post-draw key means the
    next call finds it instead of drawing again.
    """
    path = cache / f"contact_sheet_{_sheet_key(catalog, thumb, columns)}.jpg"
    if path.is_file():
        return path
    data = contact_sheet(catalog, thumb=thumb, columns=columns)
    path = cache / f"contact_sheet_{_sheet_key(catalog, thumb, columns)}.jpg"
    _atomic_write(path, data)
    return path
