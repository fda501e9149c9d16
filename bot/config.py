"""The bot process's settings, read once at start-up (docs/architecture.md, "Settings";
README's table).

The bot's own variables are read here (Telegram's token and id lists, the
webhook, the local workers and the GPUs they spread over, the queue's limits and
timeouts, retention); those it shares with the engine (data dir, queue, styles,
size and quality caps, the job time limit) come from ``engine.config.load``.
These two modules are the only ones that read variables.  A typo ends the
process with one clear line instead of failing later inside a handler.  The
token is kept out of ``repr`` so it cannot leak into logs.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.gpus import visible_gpus
from engine import config as engine_config
from engine.config import EngineSettings, MachineDefaults, env_number, env_text
from engine.errors import InvalidParams, LienzoError

DEFAULT_USER_QUEUE_LIMIT = 3
DEFAULT_QUEUE_CAP = 100
DEFAULT_HEARTBEAT_TIMEOUT_S = 30.0
DEFAULT_WORKER_OFFLINE_AFTER_S = 60.0
DEFAULT_QUEUE_TIMEOUT_S = 1800.0
DEFAULT_RETENTION_DAYS = 30.0
PAYSUPPORT_CHARS = 700  # LIENZO_PAYSUPPORT's longest (bot.texts.limits: "text")
MAX_STARS = 10_000  # the most Stars one invoice may ask (Bot API: XTR amounts 1-10000)
DEFAULT_WEBAPP_MAX_AGE_S = 86400.0  # a Mini App's initData is trusted for a day (bot.studio)


class ConfigError(LienzoError):
    code = "config_error"


@dataclass(frozen=True)
class StarsPack:
    """A pack for sale (``LIENZO_STARS_PACKS``): this many paintings for this many Stars."""

    paintings: int
    stars: int


@dataclass(frozen=True)
class BotConfig:
    token: str = field(repr=False)
    api_url: str
    engine: EngineSettings
    admin_ids: frozenset[int] = frozenset()
    allowed_chats: frozenset[int] = frozenset()
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    http_port: int = 8080
    engine_workers: int = 1  # local workers the bot starts (auto resolved); 0 = run elsewhere
    gpus: tuple[str, ...] = ()  # the visible GPUs the local workers are spread over
    user_queue_limit: int = DEFAULT_USER_QUEUE_LIMIT
    queue_cap: int = DEFAULT_QUEUE_CAP
    heartbeat_timeout_s: float = DEFAULT_HEARTBEAT_TIMEOUT_S
    worker_offline_after_s: float = DEFAULT_WORKER_OFFLINE_AFTER_S  # no heartbeat: offline
    queue_timeout_s: float = DEFAULT_QUEUE_TIMEOUT_S  # a job queued longer is dropped
    retention_days: float = DEFAULT_RETENTION_DAYS  # artworks, their jobs, PNGs, file ids
    first_look: bool = True  # a feed-forward look in the status message at once (bot.looks)
    free_per_day: int = 0  # free paintings per person per UTC day; 0: no limit (bot.fair_use)
    stars_packs: tuple[StarsPack, ...] = ()  # packs sold in Stars; none: nothing is sold
    paysupport: str = ""  # the operator's words for /paysupport
    public_url: str | None = None  # https address of LIENZO_HTTP_PORT: the studio is on
    webapp_max_age_s: float = DEFAULT_WEBAPP_MAX_AGE_S  # initData older than this: 401

    @property
    def studio_url(self) -> str | None:
        """The studio's address (``bot.studio``), when ``LIENZO_PUBLIC_URL`` is set."""
        return f"{self.public_url}/app/" if self.public_url else None

    @property
    def fair_use(self) -> bool:
        """Whether paintings are counted at all (``LIENZO_FREE_PER_DAY`` set)."""
        return self.free_per_day > 0

    def pack(self, paintings: int, stars: int) -> StarsPack | None:
        """The pack on sale with exactly these figures (None: not sold, or no longer)."""
        wanted = StarsPack(paintings, stars)
        return wanted if self.fair_use and wanted in self.stars_packs else None

    @property
    def retention_s(self) -> float:
        return self.retention_days * 86400.0

    @property
    def base_url(self) -> str:
        return f"{self.api_url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.api_url}/file/bot"

    @property
    def data_dir(self) -> Path:
        return self.engine.data_dir

    @property
    def job_time_limit_s(self) -> float:
        return self.engine.job_time_limit_s

    def defaults_for(self, has_gpu: bool) -> MachineDefaults:
        """What the workers paint by default: the bot has no GPU of its own, so the
        caller says whether the workers it sees (their heartbeats) have one."""
        return self.engine.defaults_for(has_gpu)

    def chat_allowed(self, chat_id: int) -> bool:
        return not self.allowed_chats or chat_id in self.allowed_chats


def env_ids(name: str) -> frozenset[int]:
    """A comma-separated list of numeric ids (Telegram user or chat ids)."""
    raw = env_text(name).replace(";", ",")
    try:
        return frozenset(int(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise InvalidParams(f"{name} must be a comma-separated list of numeric ids") from None


def cuda_visible_devices() -> str | None:
    """``CUDA_VISIBLE_DEVICES`` in the bot's environment (None when unset; empty means
    no GPU at all): the GPUs its local workers are spread over (``bot.gpus``)."""
    return os.environ.get("CUDA_VISIBLE_DEVICES")


def engine_worker_count(gpus: tuple[str, ...]) -> int:
    """``LIENZO_ENGINE_WORKERS``: a number (default 1; 0 = workers run elsewhere), spread
    over the GPUs by ``bot.local_workers``; ``auto``, one per visible GPU; or
    ``auto:N``, N per GPU.  Without a GPU, ``auto`` is one worker: one already keeps
    every CPU core busy."""
    raw = env_text("LIENZO_ENGINE_WORKERS").lower()
    bad = InvalidParams(f"LIENZO_ENGINE_WORKERS must be a number, auto or auto:N "
                        f"(N workers per GPU, 1 or more), not {raw!r}")
    if raw == "auto" or raw.startswith("auto:"):
        per_gpu = raw.partition(":")[2] or "1"
        if not per_gpu.isdigit() or int(per_gpu) < 1:
            raise bad
        return max(1, int(per_gpu) * len(gpus))
    try:
        count = env_number("LIENZO_ENGINE_WORKERS", 1, int)
    except InvalidParams:
        raise bad from None
    if count < 0:
        raise InvalidParams("LIENZO_ENGINE_WORKERS must be 0 or more")
    return count


def env_switch(name: str, default: bool) -> bool:
    """``on``/``off`` (also true/false, yes/no, 1/0); unset: ``default``."""
    raw = env_text(name).lower()
    if not raw:
        return default
    if raw in ("on", "true", "yes", "1"):
        return True
    if raw in ("off", "false", "no", "0"):
        return False
    raise InvalidParams(f"{name} must be on or off, not {raw!r}")


def free_per_day() -> int:
    """``LIENZO_FREE_PER_DAY``: 0 (the default) counts nothing; N: N free a UTC day."""
    count = env_number("LIENZO_FREE_PER_DAY", 0, int)
    if count < 0:
        raise InvalidParams("LIENZO_FREE_PER_DAY must be 0 (no limit) or more")
    return count


def paysupport() -> str:
    """``LIENZO_PAYSUPPORT``: plain text (shown as written, HTML and all) that fits a
    message with room to spare."""
    text = env_text("LIENZO_PAYSUPPORT")
    if len(text) > PAYSUPPORT_CHARS:
        raise InvalidParams(f"LIENZO_PAYSUPPORT is {len(text)} characters; at most "
                            f"{PAYSUPPORT_CHARS}")
    return text


def stars_packs(name: str = "LIENZO_STARS_PACKS") -> tuple[StarsPack, ...]:
    """``paintings:stars,…`` (``10:50,50:200``): the packs, in the order given."""
    raw = env_text(name)
    packs = []
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        paintings, _, stars = part.partition(":")
        if not (paintings.strip().isdigit() and stars.strip().isdigit()) \
                or int(paintings) < 1 or not 1 <= int(stars) <= MAX_STARS:
            raise InvalidParams(f"{name} must list packs as paintings:stars (e.g. 10:50,50:200; "
                                f"1 or more paintings, 1 to {MAX_STARS} Stars), not {part!r}")
        packs.append(StarsPack(int(paintings), int(stars)))
    if len(set(packs)) != len(packs):
        raise InvalidParams(f"{name} lists a pack twice")
    return tuple(packs)


def public_url() -> str | None:
    """``LIENZO_PUBLIC_URL``: the https address where ``LIENZO_HTTP_PORT`` is reachable
    (Telegram opens Mini Apps over HTTPS only); unset, the studio is off."""
    raw = env_text("LIENZO_PUBLIC_URL").rstrip("/")
    if raw and not re.fullmatch(r"https://[^\s/?#]+(/[^\s?#]*)?", raw):
        raise InvalidParams(f"LIENZO_PUBLIC_URL must be an https:// address (Telegram opens "
                            f"Mini Apps over HTTPS only), not {raw!r}")
    return raw or None


def webapp_max_age() -> float:
    """``LIENZO_WEBAPP_MAX_AGE``: seconds a Mini App's signed launch data is trusted."""
    seconds = env_number("LIENZO_WEBAPP_MAX_AGE", DEFAULT_WEBAPP_MAX_AGE_S, float)
    if seconds <= 0:
        raise InvalidParams("LIENZO_WEBAPP_MAX_AGE must be a number of seconds above 0")
    return seconds


def load_config() -> BotConfig:
    """Every setting of the bot process, checked; raises ConfigError with one line."""
    token = env_text("TELEGRAM_BOT_TOKEN")
    if not token:
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather, then run "
            "TELEGRAM_BOT_TOKEN=<token> make run"
        )
    webhook_url = env_text("LIENZO_WEBHOOK_URL") or None
    secret = env_text("LIENZO_WEBHOOK_SECRET") or None
    if webhook_url and not secret:
        raise ConfigError("LIENZO_WEBHOOK_URL needs LIENZO_WEBHOOK_SECRET (Telegram's secret "
                          "header is how the bot knows an update is genuine)")
    try:
        gpus = tuple(visible_gpus(cuda_visible_devices()))
        return BotConfig(
            token=token,
            api_url=env_text("LIENZO_TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/"),
            engine=engine_config.load(),
            admin_ids=env_ids("LIENZO_ADMIN_IDS"),
            allowed_chats=env_ids("LIENZO_ALLOWED_CHATS"),
            webhook_url=webhook_url,
            webhook_secret=secret,
            http_port=env_number("LIENZO_HTTP_PORT", 8080, int),
            engine_workers=engine_worker_count(gpus),
            gpus=gpus,
            user_queue_limit=env_number("LIENZO_USER_QUEUE_LIMIT", DEFAULT_USER_QUEUE_LIMIT, int),
            queue_cap=env_number("LIENZO_QUEUE_CAP", DEFAULT_QUEUE_CAP, int),
            heartbeat_timeout_s=env_number("LIENZO_HEARTBEAT_TIMEOUT",
                                           DEFAULT_HEARTBEAT_TIMEOUT_S, float),
            worker_offline_after_s=env_number("LIENZO_WORKER_OFFLINE_AFTER",
                                              DEFAULT_WORKER_OFFLINE_AFTER_S, float),
            queue_timeout_s=env_number("LIENZO_QUEUE_TIMEOUT", DEFAULT_QUEUE_TIMEOUT_S, float),
            retention_days=env_number("LIENZO_RETENTION_DAYS", DEFAULT_RETENTION_DAYS, float),
            first_look=env_switch("LIENZO_FIRST_LOOK", True),
            free_per_day=free_per_day(),
            stars_packs=stars_packs(),
            paysupport=paysupport(),
            public_url=public_url(),
            webapp_max_age_s=webapp_max_age(),
        )
    except InvalidParams as exc:
        raise ConfigError(str(exc)) from None
