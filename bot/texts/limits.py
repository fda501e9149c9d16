"""How long each placeholder's value may be (``bot.texts.t`` clips longer ones), so that
every text stays within Telegram's caption limit whatever it is given; the tests
format every text at these worst cases."""

PLACEHOLDER_LIMITS: dict[str, int] = {
    "name": 64,  # Telegram first_name
    "requester": 129,  # first_name + " " + last_name
    "user_id": 20,
    "style": 300,  # a style label, or a blend of up to 5 titles
    "background": 140,  # a split's two titles (value.split, itself a style label)
    "person": 140,
    "state": 40,  # a state.* fragment
    "bot_username": 32,
    "url": 116,  # a deep link: "https://t.me/" + a 32-character username + "?start=" + 64
    "count": 6,
    "frame": 4,  # a clip's frame, and its frames (≤ 48: engine.clip.reading)
    "frames": 4,
    "scale": 3,  # a print's scale of its schedule, and its scales
    "scales": 3,
    "index": 4,
    "date": 10,  # YYYY-MM-DD
    "page": 4,
    "pages": 4,
    "percent": 3,
    "bar": 10,
    "eta": 40,  # an eta.* fragment
    "seconds": 8,
    "days": 5,
    "limit": 8,
    "max_mb": 5,
    "mb": 8,  # a file's size in MB, one decimal
    "limit_mb": 5,
    "side": 6,
    "max_side": 5,
    "requested": 12,
    "width": 6,
    "height": 6,
    "option": 32,  # what the user typed
    "value": 32,  # what the user typed (or a number)
    "min": 6,
    "max": 6,
    "strength": 32,
    "colors": 32,
    "size": 32,
    "quality": 32,
    "faces": 32,
    "brush": 32,
    "previews": 32,
    "language": 32,
    "queued": 8,
    "running": 8,
    "done": 8,
    "failed": 8,
    "mean_s": 8,
    "worker": 64,
    "device": 64,
    "backend": 16,
    "free": 6,  # LIENZO_FREE_PER_DAY
    "free_left": 6,
    "paintings": 6,
    "stars": 5,  # at most 10000
    "paid": 8,
    "wait": 24,  # a duration_text
    "hours": 2,
    "minutes": 4,
    "charge": 128,  # a telegram_payment_charge_id (Telegram's are ~100 characters)
    "text": 700,  # LIENZO_PAYSUPPORT, the operator's words
}

__all__ = ["PLACEHOLDER_LIMITS"]
