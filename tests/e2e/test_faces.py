"""Faces stay faces (issue 12), the bot's side, end to end: ``faces=``, ``brush=`` and
``/style background | person`` from a caption, /settings and deep links to the job
the bot queues, the messages people read, and the result cache - against the fake
Bot API with a real engine worker (tests.support.bot_harness).

What the bot queues is read from the job table: ``meta.params`` and
``meta.styles`` are the very values ``JobService.submit`` writes into the
job's spec.  Most tests stop there (and cancel what they queued, so the shared
worker is free for the next); the two that wait for an artwork say so, since
they need the engine to paint these jobs (``ENGINE``).
"""

from __future__ import annotations

import html
import re

import pytest

from bot.intake import Intake
from bot.request import BadSplit
from bot.state import Media
from bot.stores.user_settings import SettingsStore
from bot.texts import error_text, queued_text, t
from engine.params import BRUSHES, StyleParams
from tests.support.bot_harness import JOB_S, RECEIVED, answer, artwork, lienzo_bot

ENGINE = "needs the engine to paint this job (a delivered artwork)"


async def jobs_of(tg, bot, user, count: int = 1) -> list:
    """The user's jobs once there are ``count`` of them, newest first."""
    return await tg.wait_for(
        lambda _: (jobs := bot.jobs.user_jobs(user.id, active_only=False)) and
        len(jobs) >= count and jobs, timeout=30, message=f"{count} job(s) of {user!r}")


def cancel_all(bot, *users) -> None:
    """Cancel what the test queued: the module's one worker is free for the next test."""
    for user in users:
        for job in bot.jobs.user_jobs(user.id):
            bot.jobs.cancel(job.id)


def job_id_of(art) -> str:
    return next(d for d in art.callback_data if d.startswith("r:full:")).split(":")[2]


def plain(text: str) -> str:
    """An HTML text as the user reads it (what the fake Bot API keeps as ``text``)."""
    return html.unescape(re.sub(r"<[^>]*>", "", text))


def spanish_queued(status) -> bool:
    """Whether the status message said "queued" in Spanish at some point."""
    said = {queued_text("es", n) for n in range(10)} | {t("es", "queued.offline")}
    look = t("es", "look.first") + "\n"  # the first look's caption leads with a line
    return any(version.get("caption", "").removeprefix(look) in said
               for _, version in status.versions)


# --------------------------------------------------------------------------- no bot needed


def test_cache_key_tells_faces_brush_and_split_apart():
    photo = Media("file", "unique", 1000, 1)
    params = dict(strength=1.0, color_mode="style", seed=0, faces="soft", style_scale=1.0,
                  split="none", time_budget_s=60.0)
    key = Intake._cache_key(7, photo, None, None, params)
    assert key == Intake._cache_key(7, photo, None, None, dict(params, time_budget_s=5.0))
    for change in ({"faces": "keep"}, {"style_scale": BRUSHES["large"]},
                   {"style_scale": BRUSHES["small"]}, {"split": "person"}):
        assert Intake._cache_key(7, photo, None, None, dict(params, **change)) != key, change
    assert Intake._cache_key(8, photo, None, None, params) != key  # someone else's


# --------------------------------------------------------------------------- captions


@pytest.mark.asyncio
async def test_caption_faces_and_brush_reach_the_job_in_english_and_spanish(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets) as bot:
        ana, eva = tg.user(1501, "Ana"), tg.user(1502, "Eva", language_code="es")
        sent = await ana.send_photo(ana.chat, assets.photo(80),
                                    caption="/style starry_night faces=keep brush=large")
        status = await answer(tg, ana.chat, sent)
        assert "⏳" in status.content or "🎨" in status.content  # queued, or painting already
        [job] = await jobs_of(tg, bot, ana)
        assert job.meta.styles == (("starry_night", 1.0),)
        params = job.meta.params
        assert (params["faces"], params["style_scale"], params["split"]) == \
            ("keep", BRUSHES["large"], "none")
        assert StyleParams.from_dict(params).style_scale == 1.6  # what the worker reads

        sent = await eva.send_photo(eva.chat, assets.photo(81),
                                    caption="/style starry_night caras=pintar pincel=pequeño")
        status = await answer(tg, eva.chat, sent)
        [job] = await jobs_of(tg, bot, eva)
        assert (job.meta.params["faces"], job.meta.params["style_scale"]) == \
            ("paint", BRUSHES["small"])
        assert spanish_queued(status)

        # Unset, a job says the defaults outright (they are part of the cache key).
        sent = await ana.send_photo(ana.chat, assets.photo(82), caption="/style great_wave")
        [job, _] = await jobs_of(tg, bot, ana, 2)
        defaults = StyleParams()
        assert (job.meta.params["faces"], job.meta.params["style_scale"],
                job.meta.params["split"]) == (defaults.faces, defaults.style_scale, "none")

        # A bad value: a clear message in the user's language, nothing fetched or queued.
        downloads = len(tg.calls_to("getFile"))
        bad = await eva.send_photo(eva.chat, assets.photo(83),
                                   caption="/style starry_night pincel=enorme")
        reply = await tg.wait_for_message(eva.chat, after=bad)
        assert "enorme" in reply.text and "pequeño" in reply.text
        bad = await ana.send_photo(ana.chat, assets.photo(84),
                                   caption="/style starry_night faces=hidden")
        reply = await tg.wait_for_message(ana.chat, after=bad)
        assert "hidden" in reply.text and "keep" in reply.text
        assert len(tg.calls_to("getFile")) == downloads
        assert len(bot.jobs.user_jobs(eva.id, active_only=False)) == 1
        assert len(bot.jobs.user_jobs(ana.id, active_only=False)) == 2
        cancel_all(bot, ana, eva)


@pytest.mark.asyncio
async def test_two_styles_split_the_picture_background_then_person(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets) as bot:
        leo = tg.user(1503, "Leo")
        sent = await leo.send_photo(leo.chat, assets.photo(85),
                                    caption="/style starry_night | the_scream brush=small")
        status = await answer(tg, leo.chat, sent)
        assert status.content not in RECEIVED
        [job] = await jobs_of(tg, bot, leo)
        assert job.meta.styles == (("starry_night", 1.0), ("the_scream", 1.0))  # bg, person
        assert job.meta.params["split"] == "person"
        assert job.meta.params["style_scale"] == BRUSHES["small"]
        assert job.meta.label == "The Starry Night, the person in The Scream"
        assert StyleParams.from_dict(job.meta.params).split == "person"

        # No spaces, and the other way round: the order is the request's.
        sent = await leo.send_photo(leo.chat, assets.photo(86),
                                    caption="/style the_scream|starry_night")
        [job, _] = await jobs_of(tg, bot, leo, 2)
        assert job.meta.styles == (("the_scream", 1.0), ("starry_night", 1.0))
        assert job.meta.params["split"] == "person"
        cancel_all(bot, leo)

        # Chosen first (/style as text, or a deep link), then the photo: still a split.
        eva = tg.user(1504, "Eva", language_code="es")
        chosen = await eva.send_text(eva.chat, "/style great_wave | the_scream")
        reply = await tg.wait_for_message(eva.chat, after=chosen)
        assert "La gran ola de Kanagawa, la persona en El grito" in reply.text
        sent = await eva.send_photo(eva.chat, assets.photo(87))
        [job] = await jobs_of(tg, bot, eva)
        assert job.meta.styles == (("great_wave", 1.0), ("the_scream", 1.0))
        assert job.meta.params["split"] == "person"
        cancel_all(bot, eva)

        bob = tg.user(1505, "Bob")
        welcome = await bob.open_deep_link(
            "https://t.me/LienzoBot?start=s_starry_night--great_wave")
        reply = await tg.wait_for_message(bob.chat, after=welcome)
        assert "The Starry Night, the person in The Great Wave" in reply.text
        sent = await bob.send_photo(bob.chat, assets.photo(88))
        [job] = await jobs_of(tg, bot, bob)
        assert job.meta.styles == (("starry_night", 1.0), ("great_wave", 1.0))
        assert job.meta.params["split"] == "person"
        blend = await bob.open_deep_link("https://t.me/LienzoBot?start=s_starry_night-great_wave")
        reply = await tg.wait_for_message(bob.chat, after=blend)
        assert "The Starry Night + The Great Wave" in reply.text  # a blend link stays a blend
        cancel_all(bot, bob)


@pytest.mark.asyncio
async def test_bad_splits_get_a_clear_message_and_nothing_is_queued(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets) as bot:
        ana, eva = tg.user(1506, "Ana"), tg.user(1507, "Eva", language_code="es")
        downloads = len(tg.calls_to("getFile"))
        for user, lang, caption, reason in [
            (ana, "en", "/style starry_night |", "empty"),
            (ana, "en", "/style | the_scream", "empty"),
            (ana, "en", "/style starry_night | the_scream | great_wave", "parts"),
            (ana, "en", "/style starry_night+great_wave | the_scream", "blend"),
            (eva, "es", "/style starry_night | the_scream:0.5+great_wave", "blend"),
            (eva, "es", "/style the_scream | The Scream", "same"),
        ]:
            sent = await user.send_photo(user.chat, assets.photo(89), caption=caption)
            reply = await tg.wait_for_message(user.chat, after=sent)
            assert reply.text == plain(error_text(lang, BadSplit(reason))), caption
        # /style as text with a bad split: the same message, nothing preselected.
        sent = await ana.send_text(ana.chat, "/style starry_night || the_scream")
        reply = await tg.wait_for_message(ana.chat, after=sent)
        assert reply.text == plain(error_text("en", BadSplit("empty")))
        # Two named styles and the user's own painting (an album): three for two regions.
        first, _ = await ana.send_album(ana.chat, [assets.photo(90), assets.custom_style],
                                        caption="/style starry_night | the_scream")
        reply = await tg.wait_for_message(ana.chat, after=first, timeout=30)
        assert reply.text == plain(error_text("en", BadSplit("painting")))
        photo = await ana.send_photo(ana.chat, assets.photo(91))  # the preselection was kept?
        prompt = await tg.wait_for_message(ana.chat, after=photo)
        assert prompt.text == t("en", "picker.prompt")  # no: the picker asks for a style
        assert len(tg.calls_to("getFile")) == downloads
        assert bot.jobs.user_jobs(ana.id, active_only=False) == []
        assert bot.jobs.user_jobs(eva.id, active_only=False) == []


# --------------------------------------------------------------------------- /settings


@pytest.mark.asyncio
async def test_settings_faces_and_brush_change_the_next_job(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets) as bot:
        ana = tg.user(1508, "Ana")
        sent = await ana.send_text(ana.chat, "/settings")
        panel = await tg.wait_for_message(ana.chat, after=sent)
        assert "Faces: Gently painted" in panel.text and "Brush: Medium" in panel.text
        for field, value, shown in (("faces", "paint", "Faces: Painted like the rest"),
                                    ("brush", "small", "Brush: Small")):
            await (await ana.press(panel, f"s:{field}")).answered()
            await tg.wait_for(lambda _, f=field, v=value: f"s:{f}:{v}" in panel.callback_data,
                              message=f"the {field} picker")
            assert panel.text == plain(t("en", f"settings.pick_{field}"))
            press = await ana.press(panel, f"s:{field}:{value}")
            assert (await press.answered())["text"] == t("en", "alert.saved")
            await tg.wait_for(lambda _, s=shown: s in (panel.text or ""), timeout=60,
                              message=f"the panel to say {shown!r}")
        store = SettingsStore(bot.config.data_dir / "bot.db")  # kept, not only shown
        assert (store.settings(ana.id).faces, store.settings(ana.id).brush) == ("paint", "small")
        store.close()

        sent = await ana.send_photo(ana.chat, assets.photo(92), caption="/style great_wave")
        [job] = await jobs_of(tg, bot, ana)
        assert (job.meta.params["faces"], job.meta.params["style_scale"]) == \
            ("paint", BRUSHES["small"])
        # The caption beats the settings, one option at a time.
        sent = await ana.send_photo(ana.chat, assets.photo(93),
                                    caption="/style great_wave faces=keep")
        [job, _] = await jobs_of(tg, bot, ana, 2)
        assert (job.meta.params["faces"], job.meta.params["style_scale"]) == \
            ("keep", BRUSHES["small"])
        cancel_all(bot, ana)

        eva = tg.user(1509, "Eva", language_code="es")
        sent = await eva.send_text(eva.chat, "/settings")
        panel = await tg.wait_for_message(eva.chat, after=sent)
        assert "Caras: Pintadas con suavidad" in panel.text and "Pincel: Mediano" in panel.text
        assert t("es", "button.set_faces") in [b["text"] for row in panel.buttons for b in row]


# --------------------------------------------------------------------------- ENGINE: painted


@pytest.mark.asyncio
async def test_brush_sizes_do_not_share_cached_results(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    """ENGINE: the cache is filled when an artwork is delivered."""
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets) as bot:
        ana = tg.user(1510, "Ana")
        large = await ana.send_photo(ana.chat, assets.photo(94),
                                     caption="/style great_wave brush=large")
        art_large = await tg.wait_for_message(ana.chat, artwork, timeout=JOB_S, after=large)

        small = await ana.send_photo(ana.chat, assets.photo(94),
                                     caption="/style great_wave brush=small")
        status = await answer(tg, ana.chat, small)  # painted anew: "got it", then queued
        assert status.versions[0][1]["caption"] in RECEIVED
        art_small = await tg.wait_for_message(ana.chat, artwork, timeout=JOB_S, after=small)
        assert job_id_of(art_small) != job_id_of(art_large)
        assert len(bot.jobs.user_jobs(ana.id, active_only=False)) == 2

        again = await ana.send_photo(ana.chat, assets.photo(94),
                                     caption="/style great_wave pincel=grande")
        cached = await tg.wait_for_message(ana.chat, artwork, after=again)
        assert cached.photo_bytes == art_large.photo_bytes  # the large one, at once
        assert job_id_of(cached) == job_id_of(art_large)
        assert [m for m in ana.chat.bot_messages if m.message_id > again.message_id] == [cached]
        assert len(bot.jobs.user_jobs(ana.id, active_only=False)) == 2  # nothing queued


@pytest.mark.asyncio
async def test_a_split_artwork_painted_again_stays_split(
        telegram, tmp_path, monkeypatch, engine_worker, assets):
    """ENGINE: the split job must be painted (result buttons come with the artwork)."""
    tg = telegram
    async with lienzo_bot(tg, tmp_path, monkeypatch, engine_worker, assets) as bot:
        ana = tg.user(1511, "Ana")
        sent = await ana.send_photo(ana.chat, assets.photo(95),
                                    caption="/style starry_night | the_scream faces=keep")
        art = await tg.wait_for_message(ana.chat, artwork, timeout=JOB_S, after=sent)
        assert "The Starry Night, the person in The Scream" in art.caption
        link = "https://t.me/LienzoBot?start=s_starry_night--the_scream"
        assert any(e.get("url") == link for e in art.entities)  # the split travels too
        first = job_id_of(art)

        await ana.press(art, f"r:more:{first}")  # stronger: the same request, once more
        jobs = await jobs_of(tg, bot, ana, 2)
        again = jobs[0].meta
        assert again.styles == (("starry_night", 1.0), ("the_scream", 1.0))
        assert again.params["split"] == "person" and again.params["faces"] == "keep"
        assert again.params["strength"] > jobs[1].meta.params["strength"]
        assert again.label == "The Starry Night, the person in The Scream"
        cancel_all(bot, ana)
