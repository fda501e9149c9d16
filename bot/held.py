"""What a person sees of a held photo (``bot.fair_use``): the status message says
the day's free paintings are used, when the next come, and offers the packs; once
the photo is queued at last, it says so.  One friendly message per photo - its own
status message, edited - never a new one."""

from __future__ import annotations

from telegram import Bot

from bot import keyboards
from bot.config import BotConfig
from bot.fair_use import Released, until_tomorrow
from bot.status import StatusMessage, quietly
from bot.texts import duration_text, queued_text, t, tn


def held_text(lang: str, config: BotConfig) -> str:
    """"You've had today's N free paintings; your photo is kept…" (and the packs' line)."""
    text = tn(lang, "quota.held", config.free_per_day,
              wait=duration_text(lang, until_tomorrow()))
    return text + "\n" + t(lang, "quota.buy" if config.stars_packs else "quota.tomorrow")


async def show_held(bot: Bot, config: BotConfig, status: StatusMessage, lang: str,
                    job_id: str) -> None:
    """The status message of a held photo: the quota's text, a button per pack, Cancel."""
    await quietly(status.show(bot, held_text(lang, config),
                              keyboards.packs(lang, config.stars_packs, job_id)))


async def show_released(bot: Bot, released: list[Released]) -> None:
    """Each released photo's status message: painting it now, queued."""
    for item in released:
        job, status = item.job, StatusMessage.of_job(item.job)
        if status is None or job.meta is None:
            continue
        lang = job.meta.lang
        text = t(lang, "quota.released") + "\n" + queued_text(lang, item.ahead)
        await quietly(status.show(bot, text, keyboards.cancel(lang, job.id)))

