"""The callback data of inline buttons: built and read in this one place.

Telegram allows at most 64 bytes of callback data, so a button carries a short
verb and ids only; everything else is looked up (the job table, the replied-to
photo).  ``bot.keyboards`` builds the data with the functions below; each verb
has one pattern, and ``bot.handlers`` registers one ``CallbackQueryHandler`` per
pattern, which reads the press back with the verb's ``read``:

====================  ===========================  ==========================================
pattern               data                         the press
====================  ===========================  ==========================================
``PICK``              ``g:<uid>:<style>``          pick a style in the style picker
``PICKER_PAGE``       ``gp:<uid>:<page>``          turn the picker's page
``OWN``               ``own:<uid>``                "use my own painting"
``CANCEL``            ``c:<job>``                  cancel that job
``INSTANT``           ``i:<job>``                  paint that queued job instantly (painter offline)
``RESULT_OTHER``      ``r:other:<job>``            a result's "another style"
``RESULT_STRENGTH``   ``r:more|less:<job>``        a result's "stronger" / "weaker"
``RESULT_COLORS``     ``r:keep|orig:<job>``        a result's "keep my colours" / "style's"
``RESULT_FULL``       ``r:full:<job>``             a result's full-resolution PNG
``RESULT_SEED``       ``r:seed:<job>``             paint it again with a new random seed
``RESULT_TIMELAPSE``  ``r:tl:<job>``               a result's timelapse, as an MP4 animation
``RESULT_PRINT``      ``r:print:<job>``            🖨 Print: the painting at the print side
``ARTWORKS_PAGE``     ``ag:<page>``                /gallery: show the presser's artwork no. page
``ARTWORKS_DELETE``   ``gd:<job>:<page>``          /gallery: delete that artwork, show ``page``
``SETTINGS_OPEN``     ``s:<field>``                /settings: show a field's choices
``SETTINGS_SET``      ``s:<field>:<value>``        /settings: choose a value
``SETTINGS_BACK``     ``s:back``                   /settings: back to the panel
``SETTINGS_CLOSE``    ``s:close``                  /settings: close the panel
``FORGET_YES``        ``fy:<uid>``                 /forget: "Yes, forget me" (erases everything)
``FORGET_NO``         ``fn:<uid>``                 /forget: "Cancel"
``BUY``               ``buy:<paintings>:<stars>``  a pack of paintings: its invoice, to the presser
====================  ===========================  ==========================================

``uid`` is the user who may press the button; anyone else gets an alert.  Data
that no pattern matches (``noop``, a button of an older version) is answered and
ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_BYTES = 64  # Telegram's limit on a button's callback data

PICK = re.compile(r"^g:(?P<owner>[^:]*)(?::(?P<style>.*))?\Z", re.DOTALL)
PICKER_PAGE = re.compile(r"^gp:(?P<owner>[^:]*)(?::(?P<page>\d*))?\Z")
OWN = re.compile(r"^own:(?P<owner>.*)\Z", re.DOTALL)
CANCEL = re.compile(r"^c:(?P<job>.*)\Z", re.DOTALL)
INSTANT = re.compile(r"^i:(?P<job>.*)\Z", re.DOTALL)
RESULT_OTHER = re.compile(r"^r:other:(?P<job>.*)\Z", re.DOTALL)
RESULT_STRENGTH = re.compile(r"^r:(?P<action>more|less):(?P<job>.*)\Z", re.DOTALL)
RESULT_COLORS = re.compile(r"^r:(?P<action>keep|orig):(?P<job>.*)\Z", re.DOTALL)
RESULT_FULL = re.compile(r"^r:full:(?P<job>.*)\Z", re.DOTALL)
RESULT_SEED = re.compile(r"^r:seed:(?P<job>.*)\Z", re.DOTALL)
RESULT_TIMELAPSE = re.compile(r"^r:tl:(?P<job>.*)\Z", re.DOTALL)
RESULT_PRINT = re.compile(r"^r:print:(?P<job>.*)\Z", re.DOTALL)
ARTWORKS_PAGE = re.compile(r"^ag:(?P<page>\d+)\Z")
ARTWORKS_DELETE = re.compile(r"^gd:(?P<job>[^:]+):(?P<page>\d+)\Z")
SETTINGS_OPEN = re.compile(r"^s:(?!back\Z|close\Z)(?P<field>[^:]+):?\Z")
SETTINGS_SET = re.compile(r"^s:(?P<field>[^:]+):(?P<value>.+)\Z", re.DOTALL)
SETTINGS_BACK = re.compile(r"^s:back\Z")
SETTINGS_CLOSE = re.compile(r"^s:close\Z")
FORGET_YES = re.compile(r"^fy:(?P<owner>.*)\Z", re.DOTALL)
FORGET_NO = re.compile(r"^fn:(?P<owner>.*)\Z", re.DOTALL)
BUY = re.compile(r"^buy:(?P<paintings>\d+):(?P<stars>\d+)\Z")
NOOP_DATA = "noop"  # the picker's page number: no verb, so only answered


# --------------------------------------------------------------------------- building


def _fit(data: str) -> str:
    """``data``, which Telegram would refuse (BUTTON_DATA_INVALID) over ``MAX_BYTES``.
    Style ids are at most 40 characters and job ids 32, so this never fails in use."""
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def pick(owner: int, style_id: str) -> str:
    return _fit(f"g:{owner}:{style_id}")


def picker_page(owner: int, number: int) -> str:
    return _fit(f"gp:{owner}:{number}")


def own(owner: int) -> str:
    return _fit(f"own:{owner}")


def forget(owner: int, yes: bool) -> str:
    return _fit(f"fy:{owner}" if yes else f"fn:{owner}")


def cancel(job_id: str) -> str:
    return _fit(f"c:{job_id}")


def instant(job_id: str) -> str:
    return _fit(f"i:{job_id}")


def result(action: str, job_id: str) -> str:
    """``action``: other, more, less, keep, orig, full, seed, tl (timelapse) or print."""
    return _fit(f"r:{action}:{job_id}")


def artworks_page(number: int) -> str:
    """/gallery's pages carry no owner: a press shows the presser's own artworks."""
    return _fit(f"ag:{number}")


def artworks_delete(job_id: str, number: int) -> str:
    return _fit(f"gd:{job_id}:{number}")


def settings_field(field: str, value: str | None = None) -> str:
    return _fit(f"s:{field}" if value is None else f"s:{field}:{value}")


def buy(paintings: int, stars: int) -> str:
    """A pack's button: anyone may press it, to buy for themselves."""
    return _fit(f"buy:{paintings}:{stars}")


SETTINGS_BACK_DATA = "s:back"
SETTINGS_CLOSE_DATA = "s:close"


# --------------------------------------------------------------------------- reading


def _owner(text: str | None) -> int | None:
    """Who may press, or None when the data does not say (nobody may)."""
    return int(text) if text and text.isdecimal() else None


@dataclass(frozen=True)
class Pick:
    owner: int | None
    style_id: str

    @classmethod
    def read(cls, match: re.Match[str]) -> Pick:
        return cls(_owner(match["owner"]), match["style"] or "")


@dataclass(frozen=True)
class PickerPage:
    owner: int | None
    number: int

    @classmethod
    def read(cls, match: re.Match[str]) -> PickerPage:
        return cls(_owner(match["owner"]), int(match["page"] or 0))


def read_owner(match: re.Match[str]) -> int | None:
    """The user id of ``OWN``, ``FORGET_YES`` and ``FORGET_NO``."""
    return _owner(match["owner"])


def read_job(match: re.Match[str]) -> str:
    """The job id of ``CANCEL`` and the ``RESULT_*`` patterns."""
    return match["job"]


def read_page(match: re.Match[str]) -> int:
    """The page number of ``ARTWORKS_PAGE`` and ``ARTWORKS_DELETE``."""
    return int(match["page"])


def read_pack(match: re.Match[str]) -> tuple[int, int]:
    """The (paintings, stars) of ``BUY``."""
    return int(match["paintings"]), int(match["stars"])


@dataclass(frozen=True)
class Setting:
    field: str
    value: str | None  # None: the field's choices are asked for

    @classmethod
    def read(cls, match: re.Match[str]) -> Setting:
        groups = match.groupdict()
        return cls(match["field"], groups.get("value"))
