"""Each person's settings (bot/stores/user_settings.py): defaults, saving, the
retention by use, /forget, and a bot.db from before settings had a retention."""

from __future__ import annotations

import json
import sqlite3
import threading
import time

from bot.stores.user_settings import SettingsStore, UserSettings


def test_settings_default_save_and_read_back(tmp_path):
    store = SettingsStore(tmp_path / "bot.db")
    assert store.settings(7) == UserSettings()
    store.save(7, UserSettings(language="es", size=384))
    assert store.settings(7) == UserSettings(language="es", size=384)
    assert store.forget_user(7) == 1 and store.settings(7) == UserSettings()
    store.close()


def test_settings_in_use_are_kept_and_unused_ones_go(tmp_path):
    path = tmp_path / "bot.db"
    store = SettingsStore(path)
    store.save(7, UserSettings(strength="high"))
    store.save(8, UserSettings(strength="low"))
    with sqlite3.connect(path) as db:  # both last used a year ago
        db.execute("update user_settings set used_at = ?", (time.time() - 365 * 86400,))
    store.used(7)  # 7 sends a picture
    assert store.forget_unused_before(time.time() - 86400) == 1
    assert store.settings(7).strength == "high" and store.settings(8) == UserSettings()
    store.close()


def test_settings_written_before_faces_and_brush_read_back(tmp_path):
    """bot.db keeps each user's settings as one JSON object: a row an older version
    wrote (no faces, no brush; a table without ``used_at``) reads back with both
    unset, and a row with them set round-trips."""
    path = tmp_path / "bot.db"
    with sqlite3.connect(path) as db:  # the table as versions before the retention made it
        db.execute("create table user_settings (user_id integer primary key, "
                   "value text not null)")
        db.execute("insert into user_settings values (?, ?)", (7, json.dumps(
            {"language": "es", "strength": "high", "color_mode": "keep", "quality": None,
             "size": 384, "unknown_later_field": 1})))
    store = SettingsStore(path)
    old = store.settings(7)
    assert (old.faces, old.brush) == (None, None)
    assert (old.language, old.strength, old.size) == ("es", "high", 384)
    assert store.forget_unused_before(time.time() - 60) == 0  # counted as used when migrated
    store.save(7, old.with_changes(faces="paint", brush="large"))
    store.close()
    again = SettingsStore(path)
    assert again.settings(7) == UserSettings(language="es", strength="high", color_mode="keep",
                                             size=384, faces="paint", brush="large")
    again.close()


def test_changes_at_once_all_stay(tmp_path):
    """The studio's sliders and the chat's panel may change two settings at the same
    moment: each change reads and writes in one transaction, so none is lost."""
    store = SettingsStore(tmp_path / "bot.db")
    fields = {"strength": "high", "color_mode": "keep", "brush": "large", "faces": "keep",
              "quality": "best", "language": "es"}

    def slow_change(name: str, value: str):
        def change(current: UserSettings) -> UserSettings:
            time.sleep(0.02)  # the other threads' changes would land here without a lock
            return current.with_changes(**{name: value})
        return change

    threads = [threading.Thread(target=store.change, args=(7, slow_change(n, v)))
               for n, v in fields.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.settings(7) == UserSettings(**fields)
    store.close()
