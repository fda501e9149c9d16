"""The bot's inline keyboards.  Their buttons' callback data is built by
``bot.callback_data``, which also says what each verb means."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup
from telegram import SwitchInlineQueryChosenChat, WebAppInfo

from bot import callback_data as data
from bot.config import StarsPack
from bot.state import Catalog
from bot.texts import LANGUAGE_NAMES, t, tn, value_label
from engine.params import BRUSHES, COLOR_MODES, FACES, QUALITY_NAMES, STRENGTHS

STUDIO_START = "studio"  # /start studio: a group's "🎨 Studio" link, in the private chat
PAGE_SIZE = 8  # styles per picker page, two per row
TITLE_CHARS = 40  # a style button shows this much of the painting's title
STRENGTH_STEPS = tuple(STRENGTHS)  # weakest to strongest
SETTING_CHOICES: dict[str, tuple[str, ...]] = {
    "strength": STRENGTH_STEPS,
    "colors": COLOR_MODES,
    "quality": QUALITY_NAMES,
    "size": ("256", "384", "512", "768", "1024"),
    "faces": FACES,
    "brush": tuple(BRUSHES),
    "previews": ("on", "off"),
    "language": tuple(LANGUAGE_NAMES),
}


def picker(lang: str, user_id: int, catalog: Catalog, page: int = 0, own: bool = True,
           studio_button: Button | None = None) -> Markup:
    """A page of styles for ``user_id`` to pick from; ``own``: with "use my own painting";
    ``studio_button``: "🎨 Studio", to pick by sight (``studio``)."""
    ids = list(catalog)
    pages = max(1, -(-len(ids) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    chunk = ids[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    buttons = [Button(catalog[i].title_in(lang)[:TITLE_CHARS], callback_data=data.pick(user_id, i))
               for i in chunk]
    rows = [buttons[k:k + 2] for k in range(0, len(buttons), 2)]
    if pages > 1:
        turn = [data.picker_page(user_id, (page + step) % pages) for step in (-1, 1)]
        rows.append([
            Button(t(lang, "button.prev"), callback_data=turn[0]),
            Button(t(lang, "button.page", page=page + 1, pages=pages),
                   callback_data=data.NOOP_DATA),
            Button(t(lang, "button.next"), callback_data=turn[1]),
        ])
    if own:
        rows.append([Button(t(lang, "button.own_painting"), callback_data=data.own(user_id))])
    if studio_button is not None:
        rows.append([studio_button])
    return Markup(rows)


def studio(lang: str, url: str | None, private: bool, bot_username: str, page: str
           ) -> Button | None:
    """"🎨 Studio" where the studio is on (``url``): in a private chat it opens the Mini
    App at ``page`` (Web App buttons exist only there); in a group, a link to the
    private chat, whose ``/start studio`` offers it (``STUDIO_START``)."""
    if url is None:
        return None
    if private:
        return Button(t(lang, "button.studio"), web_app=WebAppInfo(f"{url}?open={page}"))
    link = f"https://t.me/{bot_username}?start={STUDIO_START}"
    return Button(t(lang, "button.studio"), url=link)


def suggestions(lang: str, user_id: int, catalog: Catalog, ids: list[str]) -> Markup:
    """One button per style the user may have meant."""
    return Markup([[Button(catalog[i].title_in(lang)[:TITLE_CHARS],
                           callback_data=data.pick(user_id, i))]
                   for i in ids if i in catalog])


def result(lang: str, job_id: str, color_mode: str, timelapse: bool = False,
           instant: bool = False, studio_button: Button | None = None) -> Markup:
    """An artwork's buttons: another style, weaker/stronger, the other colours, full size,
    the timelapse (when the worker sent one), 🖨 Print (``bot.printing``), and Share:
    inline mode in a chat the person picks, with this artwork's id typed in
    (``bot.handlers.inline``); beside it, ``studio_button`` (``studio``: to compare it
    with the photo).  An instant picture has no weaker/stronger, a sketch's strength
    barely shows, and above medium not at all (``engine.look.painting.style_share``);
    nor Print: a print is a painting's."""
    colors = ("orig", "button.style_colors") if color_mode == "keep" else \
        ("keep", "button.keep_colors")
    extras = [*([Button(t(lang, "button.timelapse"), callback_data=data.result("tl", job_id))]
                if timelapse else []), *([] if instant else [print_button(lang, job_id)])]
    return Markup([
        [Button(t(lang, "button.another_style"), callback_data=data.result("other", job_id))],
        *([] if instant else [
            [Button(t(lang, "button.weaker"), callback_data=data.result("less", job_id)),
             Button(t(lang, "button.stronger"), callback_data=data.result("more", job_id))]]),
        [Button(t(lang, colors[1]), callback_data=data.result(colors[0], job_id)),
         Button(t(lang, "button.full_res"), callback_data=data.result("full", job_id))],
        *([extras] if extras else []),
        [share(lang, job_id), *([studio_button] if studio_button else [])],
    ])


def artworks(lang: str, job_id: str, page: int, pages: int, repaint: bool = True) -> Markup:
    """A /gallery page's buttons: pages (wrapping), paint again (another style, softer,
    stronger, a new seed: a still painting's), delete, 🖨 Print (a still painting's),
    and Share; ``page`` counts from 0, of ``pages``."""
    rows = []
    if pages > 1:
        rows.append([
            Button(t(lang, "button.prev"), callback_data=data.artworks_page((page - 1) % pages)),
            Button(t(lang, "button.next"), callback_data=data.artworks_page((page + 1) % pages)),
        ])
    delete = Button(t(lang, "button.delete"), callback_data=data.artworks_delete(job_id, page))
    if repaint:
        rows += [
            [Button(t(lang, "button.another_style"),
                    callback_data=data.result("other", job_id))],
            [Button(t(lang, "button.weaker"), callback_data=data.result("less", job_id)),
             Button(t(lang, "button.stronger"), callback_data=data.result("more", job_id))],
            [Button(t(lang, "button.new_seed"), callback_data=data.result("seed", job_id)),
             delete],
            [print_button(lang, job_id)],
        ]
    else:
        rows.append([delete])
    rows.append([share(lang, job_id)])
    return Markup(rows)


def print_button(lang: str, job_id: str) -> Button:
    """🖨 Print: the painting again at the print side, as a file (``bot.printing``)."""
    return Button(t(lang, "button.print"), callback_data=data.result("print", job_id))


def clip_result(lang: str, job_id: str) -> Markup:
    """A painted clip's one button, Share (re-paints are a still painting's)."""
    return Markup([[share(lang, job_id)]])


def share(lang: str, job_id: str) -> Button:
    """Share: inline mode in any chat, group or channel the person picks, with the
    artwork's id typed in (``bot.handlers.inline``)."""
    return Button(t(lang, "button.share"), switch_inline_query_chosen_chat=(
        SwitchInlineQueryChosenChat(job_id, allow_user_chats=True, allow_group_chats=True,
                                    allow_channel_chats=True)))


def forget(lang: str, user_id: int) -> Markup:
    """/forget's confirmation: "Yes, forget me" and "Cancel", for ``user_id`` only."""
    return Markup([[
        Button(t(lang, "button.forget_yes"), callback_data=data.forget(user_id, True)),
        Button(t(lang, "button.forget_no"), callback_data=data.forget(user_id, False)),
    ]])


def cancel(lang: str, job_id: str, *, instant: bool = False) -> Markup:
    """A waiting job's: Cancel, and - the painter offline - "⚡ Instant picture now"."""
    rows = [[Button(t(lang, "button.cancel"), callback_data=data.cancel(job_id))]]
    if instant:
        rows.insert(0, [Button(t(lang, "button.instant"), callback_data=data.instant(job_id))])
    return Markup(rows)


def packs(lang: str, on_sale: Sequence[StarsPack], job_id: str | None = None) -> Markup | None:
    """A button per pack on sale ("⭐ 10 paintings — 50 Stars"); on a held photo's
    status message, its Cancel too.  None when there is nothing to show."""
    rows = [[Button(tn(lang, "button.pack", pack.paintings, stars=pack.stars),
                    callback_data=data.buy(pack.paintings, pack.stars))] for pack in on_sale]
    if job_id is not None:
        rows.append([Button(t(lang, "button.cancel"), callback_data=data.cancel(job_id))])
    return Markup(rows) if rows else None


def pay(lang: str, pack: StarsPack) -> Markup:
    """An invoice's keyboard: its first button must be the pay button (Bot API)."""
    return Markup([[Button(t(lang, "button.pay", stars=pack.stars), pay=True)]])


def settings_main(lang: str) -> Markup:
    return Markup([
        [Button(t(lang, "button.set_strength"), callback_data=data.settings_field("strength")),
         Button(t(lang, "button.set_colors"), callback_data=data.settings_field("colors"))],
        [Button(t(lang, "button.set_size"), callback_data=data.settings_field("size")),
         Button(t(lang, "button.set_quality"), callback_data=data.settings_field("quality"))],
        [Button(t(lang, "button.set_faces"), callback_data=data.settings_field("faces")),
         Button(t(lang, "button.set_brush"), callback_data=data.settings_field("brush"))],
        [Button(t(lang, "button.set_previews"), callback_data=data.settings_field("previews")),
         Button(t(lang, "button.set_language"), callback_data=data.settings_field("language"))],
        [Button(t(lang, "button.close"), callback_data=data.SETTINGS_CLOSE_DATA)],
    ])


def settings_picker(lang: str, field: str) -> Markup:
    """A setting's choices, two per row, and "back"."""
    buttons = [Button(value_label(lang, field, int(v) if field == "size" else v),
                      callback_data=data.settings_field(field, v))
               for v in SETTING_CHOICES[field]]
    rows = [buttons[k:k + 2] for k in range(0, len(buttons), 2)]
    rows.append([Button(t(lang, "button.back"), callback_data=data.SETTINGS_BACK_DATA)])
    return Markup(rows)
