"""Inline keyboards and their callback data.

Callback data is at most 64 bytes (Telegram), so it carries short verbs and
ids only; everything else is looked up (the job table, the replied-to photo):

- ``g:<uid>:<style>`` pick a style from the gallery, ``gp:<uid>:<page>`` page it,
  ``own:<uid>`` "use my own painting" — ``uid`` is who may press;
- ``r:<action>:<job>`` a result's buttons (other, more, less, keep, orig, full);
- ``c:<job>`` cancel that job;
- ``s:<field>`` / ``s:<field>:<value>`` / ``s:back`` / ``s:close`` settings.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Markup

from bot.texts import LANGUAGE_NAMES, t, value_label

PAGE_SIZE = 8  # styles per gallery page, two per row
STRENGTH_STEPS = ("low", "medium", "high", "max")
SETTING_CHOICES = {
    "strength": STRENGTH_STEPS,
    "colors": ("style", "keep", "match"),
    "quality": ("fast", "balanced", "best"),
    "size": ("256", "384", "512", "768", "1024"),
    "language": tuple(LANGUAGE_NAMES),
}


def gallery(lang: str, user_id: int, catalog: dict, page: int = 0, own: bool = True) -> Markup:
    ids = list(catalog)
    pages = max(1, -(-len(ids) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    chunk = ids[page * PAGE_SIZE:(page + 1) * PAGE_SIZE]
    buttons = [Button(catalog[i].title[:40], callback_data=f"g:{user_id}:{i}") for i in chunk]
    rows = [buttons[k:k + 2] for k in range(0, len(buttons), 2)]
    if pages > 1:
        rows.append([
            Button(t(lang, "button.prev"), callback_data=f"gp:{user_id}:{(page - 1) % pages}"),
            Button(t(lang, "button.page", page=page + 1, pages=pages), callback_data="noop"),
            Button(t(lang, "button.next"), callback_data=f"gp:{user_id}:{(page + 1) % pages}"),
        ])
    if own:
        rows.append([Button(t(lang, "button.own_painting"), callback_data=f"own:{user_id}")])
    return Markup(rows)


def suggestions(user_id: int, catalog: dict, ids: list[str]) -> Markup:
    return Markup([[Button(catalog[i].title[:40], callback_data=f"g:{user_id}:{i}")]
                   for i in ids if i in catalog])


def result(lang: str, job_id: str, color_mode: str) -> Markup:
    colors = ("orig", "button.style_colors") if color_mode == "keep" else \
        ("keep", "button.keep_colors")
    return Markup([
        [Button(t(lang, "button.another_style"), callback_data=f"r:other:{job_id}")],
        [Button(t(lang, "button.weaker"), callback_data=f"r:less:{job_id}"),
         Button(t(lang, "button.stronger"), callback_data=f"r:more:{job_id}")],
        [Button(t(lang, colors[1]), callback_data=f"r:{colors[0]}:{job_id}"),
         Button(t(lang, "button.full_res"), callback_data=f"r:full:{job_id}")],
    ])


def cancel(lang: str, job_id: str) -> Markup:
    return Markup([[Button(t(lang, "button.cancel"), callback_data=f"c:{job_id}")]])


def settings_main(lang: str) -> Markup:
    return Markup([
        [Button(t(lang, "button.set_strength"), callback_data="s:strength"),
         Button(t(lang, "button.set_colors"), callback_data="s:colors")],
        [Button(t(lang, "button.set_size"), callback_data="s:size"),
         Button(t(lang, "button.set_quality"), callback_data="s:quality")],
        [Button(t(lang, "button.set_language"), callback_data="s:language")],
        [Button(t(lang, "button.close"), callback_data="s:close")],
    ])


def settings_picker(lang: str, field: str) -> Markup:
    option = "colors" if field == "colors" else field
    buttons = [Button(value_label(lang, option, int(v) if field == "size" else v),
                      callback_data=f"s:{field}:{v}") for v in SETTING_CHOICES[field]]
    rows = [buttons[k:k + 2] for k in range(0, len(buttons), 2)]
    rows.append([Button(t(lang, "button.back"), callback_data="s:back")])
    return Markup(rows)
