"""A job's bot-side context: what the bot needs to answer about a job that the
worker never sees (docs/architecture.md, "The life of a job").

``bot.intake`` builds one ``JobMeta`` when it submits a job; the job table keeps
it as JSON text in the ``meta`` column (``to_json``), and every ``Job`` read back
carries it again as this value (``from_json``), so delivery, the buttons and
/status read fields, not dictionary keys.  Three fields change after the row is
written, each once, through ``JobService.update_meta``: ``looked`` (intake showed
its first look: the progress says the painting has begun from the photo),
``size`` (the artwork's pixels, for the full-resolution caption) and ``pinged``
(the "ready" note was sent; a delivery redone after a restart must not send it
twice).

The JSON is the same object earlier versions wrote (the same keys, ``size`` and
``pinged`` absent until set), so a ``jobs.db`` from before this type reads back
as it is: no migration.  This module is the one place that reads those keys.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.clip_intake import ClipInfo
from bot.state import Media
from engine.params import StyleParams


@dataclass(frozen=True)
class JobMeta:
    """Who asked, in which language and chat, for which picture(s) and styles."""

    lang: str  # the language the job's texts are in
    requester: str  # the first name of who asked (a group's caption names them)
    group: bool  # asked in a group (the chat is not the requester's private chat)
    status_media: bool  # the status message is a picture, so its caption is the status
    content: Media  # the picture painted
    styles: tuple[tuple[str, float], ...]  # catalogue styles (id, weight), in order
    style_media: Media | None  # the person's own painting, when they sent one
    # The StyleParams fields the job sent (``StyleParams.from_dict``'s form): size and
    # quality only when chosen, so a re-paint keeps the worker's machine defaults.
    params: Mapping[str, Any]
    cache_key: str  # the result cache's key (``Intake._cache_key``)
    label: str  # the styles' label in ``lang``
    clip: ClipInfo | None  # what reading a clip at intake found; None for a still picture
    looked: bool = False  # its first look was shown in the status message (bot.looks)
    size: tuple[int, int] | None = None  # the artwork's (width, height), once delivered
    pinged: bool = False  # the "ready" note has been sent
    # A print (bot.printing): its long side as ordered, and the job whose painting it prints.
    print_side: int | None = None
    print_of: str | None = None

    @property
    def style(self) -> StyleParams:
        """``params`` read as the worker reads them (unsent fields at their defaults)."""
        return StyleParams.from_dict(self.params)

    @property
    def style_ids(self) -> list[str]:
        return [style_id for style_id, _ in self.styles]

    def to_json(self) -> str:
        return json.dumps({
            "lang": self.lang, "requester": self.requester, "group": self.group,
            "status_media": self.status_media, "content": dataclasses.asdict(self.content),
            "styles": [list(pair) for pair in self.styles],
            "style_media": dataclasses.asdict(self.style_media) if self.style_media else None,
            "params": dict(self.params), "cache_key": self.cache_key, "label": self.label,
            "clip": dataclasses.asdict(self.clip) if self.clip else None,
            "size": list(self.size) if self.size else None, "pinged": self.pinged,
            "looked": self.looked, "print_side": self.print_side, "print_of": self.print_of,
        })

    @classmethod
    def from_json(cls, text: str) -> JobMeta:
        """The value ``to_json`` wrote, or the object versions before this type wrote:
        the same keys, some missing in older rows (``clip`` before clips,
        ``status_media`` before the status message was a picture, ``size`` and
        ``pinged`` until set, ``looked`` before first looks, ``print_side`` and
        ``print_of`` before prints), read with the defaults
        those versions read them with."""
        raw = json.loads(text)
        size, clip, style_media = raw.get("size"), raw.get("clip"), raw.get("style_media")
        return cls(
            lang=raw.get("lang", "en"), requester=raw.get("requester", ""),
            group=bool(raw.get("group")), status_media=bool(raw.get("status_media")),
            content=Media(**raw["content"]),
            styles=tuple((str(style_id), float(weight))
                         for style_id, weight in raw.get("styles", [])),
            style_media=Media(**style_media) if style_media else None,
            params=dict(raw.get("params", {})), cache_key=raw.get("cache_key", ""),
            label=raw.get("label", ""), clip=ClipInfo(**clip) if clip else None,
            size=(int(size[0]), int(size[1])) if size else None,
            pinged=bool(raw.get("pinged", False)), looked=bool(raw.get("looked", False)),
            print_side=raw.get("print_side"), print_of=raw.get("print_of"))
