"""The bot's configuration, read once from the environment (README's table).

Everything a deployment sets lives here, validated at start-up, so that a
typo ends the process with one clear line instead of failing later inside a
handler.  The token is kept out of ``repr`` so it cannot leak into logs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from bot.local_workers import worker_count
from engine.config import env_number
from engine.errors import LienzoError


class ConfigError(LienzoError):
    code = "config_error"


def _ids(name: str) -> frozenset[int]:
    raw = os.environ.get(name, "")
    try:
        return frozenset(int(part) for part in raw.replace(";", ",").split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a comma-separated list of numeric ids") from None


@dataclass(frozen=True)
class BotConfig:
    token: str = field(repr=False)
    api_url: str
    data_dir: Path
    admin_ids: frozenset[int]
    allowed_chats: frozenset[int]
    webhook_url: str | None
    webhook_secret: str | None = field(repr=False)
    http_port: int
    engine_workers: int
    max_side: int | None  # None: follow the engine workers' machines (GPU 1024, CPU 384)
    default_quality: str | None  # None: the workers' machines decide (GPU balanced, CPU fast)
    job_time_limit: int

    @property
    def base_url(self) -> str:
        return f"{self.api_url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.api_url}/file/bot"

    def chat_allowed(self, chat_id: int) -> bool:
        return not self.allowed_chats or chat_id in self.allowed_chats


def load_config(require_token: bool = True) -> BotConfig:
    token = os.environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    if require_token and not token:
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather, then run "
            "TELEGRAM_BOT_TOKEN=<token> make run"
        )
    webhook_url = os.environ.get("LIENZO_WEBHOOK_URL", "").strip() or None
    secret = os.environ.get("LIENZO_WEBHOOK_SECRET", "").strip() or None
    if webhook_url and not secret:
        raise ConfigError("LIENZO_WEBHOOK_URL needs LIENZO_WEBHOOK_SECRET (Telegram's secret "
                          "header is how the bot knows an update is genuine)")
    try:
        workers = worker_count()
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    max_side = env_number("LIENZO_MAX_SIDE", 0) or None
    quality = os.environ.get("LIENZO_DEFAULT_QUALITY", "").strip() or None
    if quality not in (None, "fast", "balanced", "best"):
        raise ConfigError("LIENZO_DEFAULT_QUALITY must be fast, balanced or best")
    return BotConfig(
        token=token,
        api_url=os.environ.get("LIENZO_TELEGRAM_API_URL", "").strip().rstrip("/")
        or "https://api.telegram.org",
        data_dir=Path(os.environ.get("LIENZO_DATA_DIR", "").strip() or "data"),
        admin_ids=_ids("LIENZO_ADMIN_IDS"),
        allowed_chats=_ids("LIENZO_ALLOWED_CHATS"),
        webhook_url=webhook_url,
        webhook_secret=secret,
        http_port=env_number("LIENZO_HTTP_PORT", 8080),
        engine_workers=workers,
        max_side=max_side,
        default_quality=quality,
        job_time_limit=env_number("LIENZO_JOB_TIME_LIMIT", 300),
    )
