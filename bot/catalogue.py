"""The styles people can ask for, as the bot reads them (docs/architecture.md,
"Packages and modules").

The engine's catalogue (``styles``, loaded once at start-up) with what the bot
does with it: a ``/style`` request parsed against it, its size capped at what
the workers paint now (``parse``: ``bot.engine_view`` knows whether they have a
GPU), a request's label in a language (``label``), and the names an artwork is
found by in inline mode (``search_names``).  Handlers, intake and delivery are
given this one object rather than reaching for a parser through each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.engine_view import EngineView
from bot.request import StyleRequest, parse_style_request
from bot.state import Catalog
from bot.texts import LANGUAGES, style_label, t
from engine.catalogue.styles import Style


class Catalogue:
    def __init__(self, styles: Catalog, workers: EngineView) -> None:
        self.styles = styles
        self.workers = workers

    def parse(self, text: str | None) -> StyleRequest:
        """A style request, its size capped at what the workers paint (raises RequestError)."""
        return parse_style_request(text, self.styles, max_side=self.workers.max_side)

    def label(self, lang: str, request: StyleRequest | None, split: str | None = None) -> str:
        """The styles' label; ``split`` (a job's ``params["split"]``, which a re-paint
        keeps while its request is rebuilt as a list of styles) beats the request's."""
        if request is None or not request.styles:
            return t(lang, "style.own")
        return style_label(lang, [self.styles[i] for i, _ in request.styles],
                           split=(split or request.split) == "person")

    def known(self, style_ids: Iterable[str]) -> list[Style]:
        """The styles of these ids still in the catalogue (an artwork outlives a style)."""
        return [self.styles[i] for i in style_ids if i in self.styles]

    def search_names(self, style_ids: Sequence[str]) -> list[str]:
        """Every name a search for an artwork in these styles may use (inline mode);
        the person's own painting's in every language when none is in the catalogue."""
        return [name for style in self.known(style_ids) for name in style.names] \
            or [t(lang, "style.own") for lang in LANGUAGES]
