"""A job's bot-side context (bot/jobs/meta.py): one typed value, kept as JSON in the job
table; a jobs.db written before the type existed reads back without a migration."""

from __future__ import annotations

import dataclasses
import json

from bot.clip_intake import ClipInfo
from bot.jobs.meta import JobMeta
from bot.jobs.table import NO_META, read_meta
from bot.state import Media

# The meta column as bot/intake.py wrote it before JobMeta (a dict built by hand, its
# eleven keys), then with "size" and "pinged" added by delivery's update_meta.
OLD_DICT = {
    "lang": "es", "requester": "Eva", "group": True, "status_media": True,
    "content": {"file_id": "AgAD", "unique_id": "u1", "size": 52000, "message_id": 12,
                "kind": "animation"},
    "styles": [["starry_night", 1.0], ["the_scream", 0.5]],
    "style_media": {"file_id": "BQAD", "unique_id": "u2", "size": None, "message_id": 13,
                    "kind": "document"},
    "params": {"strength": 3.0, "color_mode": "keep", "seed": 7, "faces": "soft",
               "style_scale": 1.0, "split": "none", "time_budget_s": 600.0},
    "cache_key": "ab12", "label": "La noche estrellada + El grito",
    "clip": {"frames": 40, "width": 384, "height": 216, "cut": True},
}


def test_reads_the_dict_earlier_versions_wrote():
    meta = JobMeta.from_json(json.dumps(OLD_DICT))
    assert meta == JobMeta(
        lang="es", requester="Eva", group=True, status_media=True,
        content=Media("AgAD", "u1", 52000, 12, kind="animation"),
        styles=(("starry_night", 1.0), ("the_scream", 0.5)),
        style_media=Media("BQAD", "u2", None, 13, kind="document"),
        params=OLD_DICT["params"], cache_key="ab12", label="La noche estrellada + El grito",
        clip=ClipInfo(40, 384, 216, True), size=None, pinged=False)
    assert meta.content.clip == "gif"
    assert (meta.style.color_mode, meta.style.strength, meta.style.seed) == ("keep", 3.0, 7)
    assert meta.style_ids == ["starry_night", "the_scream"]


def test_reads_an_old_dict_after_delivery_and_without_optional_parts():
    """A still photo (no clip, no painting of one's own), delivered and pinged."""
    old = dict(OLD_DICT, clip=None, style_media=None, size=[1024, 768], pinged=True,
               content=dict(OLD_DICT["content"], kind="photo"))
    meta = JobMeta.from_json(json.dumps(old))
    assert (meta.clip, meta.style_media, meta.size, meta.pinged) == (None, None, (1024, 768), True)
    assert meta.content.clip is None


def test_round_trip_keeps_the_same_keys():
    meta = JobMeta.from_json(json.dumps(OLD_DICT))
    later = dataclasses.replace(meta, size=(512, 384), pinged=True, clip=None, looked=True)
    for value in (meta, later):
        text = value.to_json()
        assert JobMeta.from_json(text) == value
        assert set(json.loads(text)) == set(OLD_DICT) | {"size", "pinged", "looked",
                                                         "print_side", "print_of"}
    # An older version reading what this one wrote finds every key it read.
    assert {k: v for k, v in json.loads(meta.to_json()).items() if k in OLD_DICT} == OLD_DICT


def test_a_prints_meta_keeps_its_side_and_painting():
    meta = dataclasses.replace(JobMeta.from_json(json.dumps(OLD_DICT)), clip=None,
                               print_side=4096, print_of="abc123")
    assert JobMeta.from_json(meta.to_json()) == meta
    assert JobMeta.from_json(json.dumps(OLD_DICT)).print_side is None  # before prints


def test_the_column_without_meta():
    """A job submitted straight to the job service (its tests, the benchmarks) has none."""
    assert read_meta(NO_META) is None
    assert read_meta("") is None
    assert read_meta(json.dumps(OLD_DICT)) == JobMeta.from_json(json.dumps(OLD_DICT))


def test_reads_rows_from_before_clips_and_picture_statuses():
    """Rows written before clips (no ``clip``) and before the status message was the
    photo sent back (no ``status_media``) read with the defaults those versions used."""
    old = {k: v for k, v in OLD_DICT.items() if k not in ("clip", "status_media")}
    old["content"] = {k: v for k, v in OLD_DICT["content"].items() if k != "kind"}
    meta = JobMeta.from_json(json.dumps(old))
    assert (meta.clip, meta.status_media, meta.content.kind) == (None, False, "photo")
    assert meta.styles == (("starry_night", 1.0), ("the_scream", 0.5))
