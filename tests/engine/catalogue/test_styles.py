"""Tests for the style catalogue (engine/catalogue/styles.py).

No network: downloads are served by a local http.server thread, and every test
runs with its own LIENZO_DATA_DIR and no LIENZO_STYLES_DIR.
"""

from __future__ import annotations

import io
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
from PIL import Image

from engine import config
from engine.catalogue import styles
from engine.catalogue.styles import Style
from engine.errors import StyleUnavailable, UnknownStyle
from tests.support.settings import catalogue


def jpeg_bytes(size=(96, 80), color=(200, 30, 30), fmt="JPEG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, fmt)
    return buf.getvalue()


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    monkeypatch.delenv("LIENZO_STYLES_DIR", raising=False)
    monkeypatch.setenv("LIENZO_DATA_DIR", str(tmp_path / "data"))
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")  # the test server is local; never go through a proxy


class Server:
    """A local HTTP server with a few fixed routes; records every request."""

    ROUTES = {
        "/ok.jpg": (200, "image/jpeg", jpeg_bytes()),
        "/page.html": (200, "text/html", b"<html><body>Please log in</body></html>"),
        "/tiny.jpg": (200, "image/jpeg", jpeg_bytes(size=(32, 32))),
    }

    def __init__(self):
        self.requests: list[tuple[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                outer.requests.append((self.path, self.headers.get("User-Agent", "")))
                status, ctype, body = outer.ROUTES.get(self.path, (404, "text/plain", b"nope"))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


def web_style(url: str, style_id: str = "test_style") -> Style:
    return Style(id=style_id, title="Test", artist="Nobody", year="2024",
                 source_url=url, licence="public domain", download_url=url,
                 cached=cache_dir() / f"{style_id}.jpg")


def cache_dir() -> Path:
    """Where the settings now put downloaded styles (``<data dir>/styles``)."""
    return config.load().style_cache_dir


def cache_file(style_id: str) -> Path:
    return cache_dir() / f"{style_id}.jpg"


# --------------------------------------------------------------------------- catalogue


def test_packaged_catalogue_is_complete_and_valid():
    catalog = catalogue()
    # Every public-domain painting of the CATALOG.tsv research that has a Commons URL.
    assert set(catalog) == {
        "starry_night", "the_scream", "great_wave", "composition_vii", "grande_jatte",
        "wheat_field", "starry_night_rhone", "metzinger", "woman_with_hat", "the_kiss",
        "impression_sunrise",
    }
    for style_id, s in catalog.items():
        assert s.id == style_id and styles.ID_RE.fullmatch(s.id)
        for field in ("title", "title_es", "artist", "year", "source_url", "licence",
                      "download_url"):
            assert isinstance(getattr(s, field), str) and getattr(s, field), (style_id, field)
        assert s.licence == "public domain"
        assert s.path is None
        for url in (s.source_url, s.download_url):
            parsed = urlparse(url)
            assert parsed.scheme == "https"
            assert parsed.hostname in ("upload.wikimedia.org", "commons.wikimedia.org")
        # Never the multi-hundred-MB original: a scaled copy.
        assert "width=1280" in s.download_url or "/thumb/" in s.download_url
    assert catalog["great_wave"].year == "c. 1831"
    assert catalog["wheat_field"].download_url == catalog["wheat_field"].source_url


SPANISH_TITLES = {
    "starry_night": "La noche estrellada",
    "the_scream": "El grito",
    "great_wave": "La gran ola de Kanagawa",
    "composition_vii": "Composición VII",
    "grande_jatte": "Tarde de domingo en la isla de La Grande Jatte",
    "wheat_field": "Campo de trigo con cipreses",
    "starry_night_rhone": "Noche estrellada sobre el Ródano",
    "metzinger": "Retrato de Jean Metzinger",
    "woman_with_hat": "Mujer con sombrero",
    "the_kiss": "El beso",
    "impression_sunrise": "Impresión, sol naciente",
}


def test_every_packaged_style_has_a_spanish_title():
    catalog = catalogue()
    assert {i: s.title_es for i, s in catalog.items()} == SPANISH_TITLES
    for style_id, s in catalog.items():
        assert s.title_es.strip() == s.title_es and s.title_es != s.title, style_id
        assert s.title_in("es") == s.title_es
        assert s.title_in("en") == s.title_in(None) == s.title_in("pt") == s.title
        assert s.names == (style_id, s.title, s.title_es)
    assert len({s.title_es for s in catalog.values()}) == len(catalog)


def test_title_in_and_names_without_a_spanish_title():
    plain = web_style("https://example.invalid/x.jpg", "my_cat")
    assert plain.title_es == ""
    assert plain.title_in("es") == plain.title_in("en") == "Test"
    assert plain.names == ("my_cat", "Test")
    same = Style(id="x", title="X", artist="", year="", source_url="", licence="",
                 title_es="X")
    assert same.names == ("x", "X")  # no repeats


def packaged_toml(text: str, monkeypatch) -> None:
    """Make _packaged_styles read ``text`` instead of engine/catalogue/styles.toml."""
    class Files:
        def joinpath(self, name):
            return self

        def read_text(self, encoding="utf-8"):
            return text

    monkeypatch.setattr(styles.resources, "files", lambda package: Files())


ENTRY = """
[[style]]
id = "x"
title = "X"
artist = "A"
year = "1900"
source_url = "https://upload.wikimedia.org/x.jpg"
licence = "public domain"
"""


@pytest.mark.parametrize("extra", ["", 'title_es = ""', "title_es = 3"])
def test_packaged_entry_needs_a_spanish_title(monkeypatch, extra):
    packaged_toml(ENTRY + extra + "\n", monkeypatch)
    with pytest.raises(ValueError, match="title_es"):
        catalogue()


def test_packaged_entry_with_a_spanish_title_parses(monkeypatch):
    packaged_toml(ENTRY + 'title_es = "Equis"\n', monkeypatch)
    assert catalogue()["x"].title_in("es") == "Equis"


def test_styles_dir_overrides_and_adds(tmp_path, monkeypatch):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "starry_night.jpg").write_bytes(jpeg_bytes(color=(0, 0, 255)))
    (folder / "my_cat.PNG").write_bytes(jpeg_bytes(fmt="PNG"))
    (folder / "Bad Name!.jpg").write_bytes(jpeg_bytes())
    (folder / "notes.txt").write_text("not an image")
    monkeypatch.setenv("LIENZO_STYLES_DIR", str(folder))

    catalog = catalogue()
    assert len(catalog) == 12
    over = catalog["starry_night"]
    assert over.path == folder / "starry_night.jpg"
    assert (over.title, over.artist) == ("The Starry Night", "Vincent van Gogh")
    assert over.title_in("es") == "La noche estrellada"  # the local image keeps both titles
    new = catalog["my_cat"]
    assert new.path == folder / "my_cat.PNG" and new.title == "My cat"
    assert new.title_es == "" and new.title_in("es") == "My cat"  # no entry: no Spanish title
    assert new.names == ("my_cat", "My cat")
    assert list(catalog)[-1] == "my_cat"  # catalogue order first, custom styles after

    # The local file is used: no download (there is no network in tests anyway).
    assert styles.style_image_bytes("starry_night", catalog) == over.path.read_bytes()
    pixels = styles.style_image("starry_night", catalog)
    assert pixels.shape == (80, 96, 3) and pixels.dtype == np.uint8
    assert pixels[40, 48, 2] > 200
    assert not cache_dir().exists()


def test_styles_dir_argument_and_missing_folder(tmp_path, monkeypatch):
    folder = tmp_path / "explicit"
    folder.mkdir()
    (folder / "the_kiss.jpeg").write_bytes(jpeg_bytes())
    assert styles.load_catalog(folder, cache_dir())["the_kiss"].path == folder / "the_kiss.jpeg"
    monkeypatch.setenv("LIENZO_STYLES_DIR", str(tmp_path / "does_not_exist"))
    assert all(s.path is None for s in catalogue().values())


def test_cache_dir_is_in_the_data_dir(monkeypatch):
    monkeypatch.delenv("LIENZO_DATA_DIR")
    assert cache_dir() == Path("data") / "styles"
    monkeypatch.setenv("LIENZO_DATA_DIR", "/srv/lienzo")
    assert cache_dir() == Path("/srv/lienzo/styles")


def test_normalise_gives_the_id_form():
    assert styles.normalise("Starry Night Over the Rhône") == "starry_night_over_the_rhone"
    assert styles.normalise("  --Great   Wave!! ") == "great_wave"
    assert styles.normalise("Tamaño") == "tamano"
    assert styles.normalise("¡!") == ""


# --------------------------------------------------------------------------- suggestions


@pytest.mark.parametrize("query, expected", [
    ("starry", ["starry_night", "starry_night_rhone"]),
    ("scream", ["the_scream"]),
    ("wave", ["great_wave"]),
    ("stary_nigth", ["starry_night"]),
    ("kanagawa", ["great_wave"]),
])
def test_suggest(query, expected):
    got = styles.suggest(query, catalogue())
    assert got[: len(expected)] == expected
    assert len(got) <= 3


def test_suggest_gibberish_and_plain_ids():
    catalog = catalogue()
    assert styles.suggest("qwxzjk", catalog) == []
    assert styles.suggest("", catalog) == []
    assert styles.suggest("scream", list(catalog))[0] == "the_scream"  # ids alone work too
    assert styles.suggest("starry", catalog, n=1) == ["starry_night"]


def test_resolve_normalises_and_unknown_raises():
    catalog = catalogue()
    assert styles.resolve("starry_night", catalog).id == "starry_night"
    assert styles.resolve("Starry Night", catalog).id == "starry_night"
    with pytest.raises(UnknownStyle) as info:
        styles.resolve("starry", catalog)
    assert info.value.suggestions[:2] == ["starry_night", "starry_night_rhone"]
    assert info.value.code == "unknown_style"
    with pytest.raises(UnknownStyle) as info:
        styles.style_image_bytes("qwxzjk", catalog)
    assert info.value.suggestions == []


# --------------------------------------------------------------------------- downloads


def test_download_is_cached_and_identifies_itself(server):
    catalog = {"test_style": web_style(server.url("/ok.jpg"))}
    data = styles.style_image_bytes("test_style", catalog)
    assert data == Server.ROUTES["/ok.jpg"][2]
    assert cache_file("test_style").read_bytes() == data
    assert len(server.requests) == 1
    path, agent = server.requests[0]
    assert path == "/ok.jpg" and agent.startswith("Lienzo/")

    assert styles.style_image_bytes("test_style", catalog) == data
    assert styles.style_image("test_style", catalog).shape == (80, 96, 3)
    assert len(server.requests) == 1  # served from the cache
    assert [p.name for p in cache_file("test_style").parent.iterdir()] == ["test_style.jpg"]


@pytest.mark.parametrize("route", ["/page.html", "/missing.jpg", "/tiny.jpg"])
def test_bad_download_is_unavailable_and_not_cached(server, route):
    url = server.url(route)
    catalog = {"test_style": web_style(url)}
    with pytest.raises(StyleUnavailable) as info:
        styles.style_image("test_style", catalog)
    message = str(info.value)
    assert "test_style" in message and url in message and "LIENZO_STYLES_DIR" in message
    assert info.value.code == "style_unavailable"
    assert not cache_file("test_style").exists()
    cache = cache_file("test_style").parent
    assert not cache.exists() or list(cache.iterdir()) == []  # no temp files left behind


def test_oversized_download_is_refused(server, monkeypatch):
    monkeypatch.setattr(styles, "MAX_BYTES", 100)  # images.MAX_BYTES, as styles sees it
    with pytest.raises(StyleUnavailable):
        styles.style_image_bytes("test_style", {"test_style": web_style(server.url("/ok.jpg"))})
    assert not cache_file("test_style").exists()


def test_unreachable_or_missing_url_is_unavailable():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/x.jpg"
    with pytest.raises(StyleUnavailable, match="test_style"):
        styles.style_image_bytes("test_style", {"test_style": web_style(url)})
    nowhere = Style(id="nowhere", title="N", artist="", year="", source_url="",
                    licence="", download_url=None, cached=cache_dir() / "nowhere.jpg")
    with pytest.raises(StyleUnavailable, match="LIENZO_STYLES_DIR"):
        styles.style_image_bytes("nowhere", {"nowhere": nowhere})


# --------------------------------------------------------------------------- contact sheet


def solid_loader(style_id: str) -> np.ndarray:
    if style_id == "broken":
        raise StyleUnavailable("broken on purpose")
    return np.full((120, 90, 3), (220, 20, 20), dtype=np.uint8)


def fake_catalog(ids) -> dict[str, Style]:
    return {i: web_style("https://example.invalid/x.jpg", i) for i in ids}


@pytest.mark.parametrize("n, size", [(5, (276, 176)), (2, (140, 90)), (4, (276, 90))])
def test_contact_sheet_size(n, size):
    # thumb 64: pad 4, label 18 (10 px font + 2 pads); columns capped at 4.
    sheet = styles.contact_sheet(fake_catalog(f"s{i}" for i in range(n)), solid_loader, thumb=64)
    img = Image.open(io.BytesIO(sheet))
    assert img.format == "JPEG" and img.size == size


def test_contact_sheet_draws_failed_style_grey():
    catalog = fake_catalog(["good", "broken", "a_really_long_style_identifier"])
    img = Image.open(io.BytesIO(styles.contact_sheet(catalog, solid_loader, thumb=64))).convert(
        "RGB")
    red = img.getpixel((4 + 32, 4 + 32))
    grey = img.getpixel((4 + 68 + 32, 4 + 32))
    assert red[0] > 180 and red[1] < 70
    assert all(130 < c < 190 for c in grey) and max(grey) - min(grey) < 20
    label = np.asarray(img.crop((4 + 68, 4 + 64, 4 + 68 + 64, 4 + 64 + 18)))
    assert label.min() < 100  # the id is written under the grey tile too


def test_cached_contact_sheet_is_reused(tmp_path, monkeypatch):
    folder = tmp_path / "mine"
    folder.mkdir()
    for name in ("alpha", "beta"):
        (folder / f"{name}.jpg").write_bytes(jpeg_bytes())
    catalog = {i: s for i, s in styles.load_catalog(folder, cache_dir()).items() if s.path}
    first = styles.cached_contact_sheet(catalog, thumb=64, cache=cache_dir())
    assert first.parent == cache_dir() and first.name.startswith("contact_")
    assert Image.open(first).size == (140, 90)

    calls = []
    monkeypatch.setattr(styles, "contact_sheet", lambda *a, **k: calls.append(1) or b"")
    assert styles.cached_contact_sheet(catalog, thumb=64, cache=cache_dir()) == first
    assert calls == []

    (folder / "gamma.jpg").write_bytes(jpeg_bytes())  # a new style means a new sheet
    catalog = {i: s for i, s in styles.load_catalog(folder, cache_dir()).items() if s.path}
    monkeypatch.undo()
    monkeypatch.setenv("LIENZO_DATA_DIR", str(first.parent.parent))
    assert styles.cached_contact_sheet(catalog, thumb=64, cache=cache_dir()) != first


def test_cached_contact_sheet_after_download_is_stable(server, monkeypatch):
    now = [1000.0 * styles.SHEET_RETRY_S]  # the start of a retry period
    monkeypatch.setattr(styles.time, "time", lambda: now[0])
    catalog = {"test_style": web_style(server.url("/ok.jpg")),
               "gone": web_style(server.url("/missing.jpg"), "gone")}
    first = styles.cached_contact_sheet(catalog, thumb=64, cache=cache_dir())
    assert [p for p, _ in server.requests] == ["/ok.jpg", "/missing.jpg"]
    now[0] += styles.SHEET_RETRY_S / 2
    assert styles.cached_contact_sheet(catalog, thumb=64, cache=cache_dir()) == first
    assert len(server.requests) == 2  # drawn once, not again because the cache filled

    now[0] += styles.SHEET_RETRY_S  # the grey tile's download is retried, but not hourly
    assert styles.cached_contact_sheet(catalog, thumb=64, cache=cache_dir()) != first
    assert [p for p, _ in server.requests[2:]] == ["/missing.jpg"]
