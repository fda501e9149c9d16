"""The ledger: what people paid in Telegram Stars and which paintings they used
(docs/architecture.md, "Fair use and Stars").

Its own file (``ledger.db``, ``bot.stores.db``) at ``synchronous=full``: a
payment, once credited, survives a power cut as the inbox's updates do.  Every
write is keyed by what Telegram or the job table already names uniquely, so
that doing it twice changes nothing:

- a **purchase** by ``telegram_payment_charge_id``: a ``successful_payment``
  handled again (the durable inbox replays it after a crash, Telegram re-sends
  it) credits its pack once;
- a **spend** by job id: the painting a job uses, free or paid.  The same update
  handled again gives the same job id (``bot.inbox.Origin``), so it finds its
  spend instead of taking another; giving it back (the job failed on our side)
  happens once.

A person's paid paintings are a balance (``balances``) changed in the same
transaction as the purchase, spend, give-back or refund that changes it, so
records can be dropped after their time (``forget_before``) without changing
what anyone has.  No picture is kept here, and /forget leaves the ledger as it
is: refunds, disputes and today's free count need it (``/privacy`` says so).
"""

from __future__ import annotations

import dataclasses
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from bot.stores.db import Database, Step

# Payments are kept this long after they were made, /forget or not: long enough for
# refunds and disputes (what /privacy says).  Balances stay while anything is left.
PAYMENT_RECORDS_DAYS = 365

MIGRATIONS: tuple[Step, ...] = (
    """create table if not exists purchases (
        charge_id text primary key,
        user_id integer not null,
        paintings integer not null,
        stars integer not null,
        paid_at real not null,
        refunded_at real,
        receipt_sent integer not null default 0,
        refund_noted integer not null default 0,
        lang text not null default 'en'
    )""",
    """create table if not exists spends (
        job_id text primary key,
        user_id integer not null,
        paid integer not null,
        paintings integer not null,
        day text not null,
        spent_at real not null,
        given_back_at real
    )""",
    "create index if not exists spends_user_day on spends (user_id, day)",
    "create table if not exists balances (user_id integer primary key, "
    "paintings integer not null)",
)


@dataclass(frozen=True)
class Purchase:
    """A pack paid for: Telegram's charge id, who, how many paintings for how many Stars."""

    charge_id: str
    user_id: int
    paintings: int
    stars: int
    paid_at: float
    refunded_at: float | None = None
    receipt_sent: bool = False  # the receipt was sent
    refund_noted: bool = False  # the person was told of the refund
    lang: str = "en"  # the payer's language then (a refund's note is in it)


@dataclass(frozen=True)
class Credited:
    """What ``credit`` did: the purchase as kept, and whether this call added it."""

    purchase: Purchase
    new: bool


@dataclass(frozen=True)
class Spend:
    """The painting(s) one job used: from the day's free ones, or paid."""

    job_id: str
    user_id: int
    paid: bool
    paintings: int
    day: str  # the UTC day it was spent on, YYYY-MM-DD
    given_back: bool = False  # returned: the job failed on our side, or never started
    new: bool = False  # made by the call that returned it (not found from an earlier one)


@dataclass(frozen=True)
class Balance:
    """What a person has left: free paintings today, and paid ones."""

    free_used: int  # free paintings used today (UTC)
    paid: int  # paid paintings left (below 0 after a refund of paintings already used)


class Ledger:
    """The payments ledger; thread-safe (``bot.stores.db``)."""

    def __init__(self, path: Path) -> None:
        self._db = Database(path, "ledger", MIGRATIONS, synchronous="full")

    def close(self) -> None:
        self._db.close()

    # -- purchases ----------------------------------------------------------------
    def credit(self, charge_id: str, user_id: int, paintings: int, stars: int,
               lang: str = "en") -> Credited:
        """A successful payment: its paintings added to the person's balance - once per
        ``charge_id`` however often this is called."""
        with self._db.tx() as db:
            added = db.execute(
                "insert or ignore into purchases (charge_id, user_id, paintings, stars, "
                "paid_at, lang) values (?, ?, ?, ?, ?, ?)",
                (charge_id, user_id, paintings, stars, time.time(), lang)).rowcount == 1
            if added:
                self._change_balance(db, user_id, paintings)
            purchase = self._purchase(db, charge_id)
        assert purchase is not None
        return Credited(purchase, added)

    def receipt_sent(self, charge_id: str) -> None:
        self._db.run("update purchases set receipt_sent = 1 where charge_id = ?", (charge_id,))

    def refund_noted(self, charge_id: str) -> None:
        self._db.run("update purchases set refund_noted = 1 where charge_id = ?", (charge_id,))

    def purchase(self, charge_id: str) -> Purchase | None:
        with self._db.tx() as db:
            return self._purchase(db, charge_id)

    def refunded(self, charge_id: str) -> Purchase | None:
        """The Stars of ``charge_id`` went back to its payer: its paintings leave the
        balance, once (a balance may go below 0 if some were used); the purchase as
        it was before, or None if the ledger never had it."""
        with self._db.tx() as db:
            purchase = self._purchase(db, charge_id)
            if purchase is None or purchase.refunded_at is not None:
                return purchase
            db.execute("update purchases set refunded_at = ? where charge_id = ?",
                       (time.time(), charge_id))
            self._change_balance(db, purchase.user_id, -purchase.paintings)
        return purchase

    @staticmethod
    def _purchase(db: sqlite3.Connection, charge_id: str) -> Purchase | None:
        row = db.execute("select charge_id, user_id, paintings, stars, paid_at, refunded_at, "
                         "receipt_sent, refund_noted, lang from purchases where charge_id = ?",
                         (charge_id,)).fetchone()
        if row is None:
            return None
        charge, user, paintings, stars, paid_at, refunded_at, receipt, noted, lang = row
        return Purchase(charge, user, paintings, stars, paid_at, refunded_at, bool(receipt),
                        bool(noted), lang)

    @staticmethod
    def _change_balance(db: sqlite3.Connection, user_id: int, paintings: int) -> None:
        db.execute("insert into balances (user_id, paintings) values (?, ?) on conflict "
                   "(user_id) do update set paintings = paintings + excluded.paintings",
                   (user_id, paintings))

    # -- spending -----------------------------------------------------------------
    def spend(self, job_id: str, user_id: int, paintings: int, day: str,
              free_per_day: int) -> Spend | None:
        """The job takes ``paintings`` from the day's free ones if they all fit
        (``free_per_day`` 0: no limit), else from the paid balance; None when neither
        has enough.  A job that has spent already gets its spend back unchanged
        (``new`` false)."""
        with self._db.tx() as db:
            found = self._spend(db, job_id)
            if found is not None:
                return found
            used = self._free_used(db, user_id, day)
            if free_per_day == 0 or used + paintings <= free_per_day:
                paid = False
            elif self._paid_left(db, user_id) >= paintings:
                paid = True
                self._change_balance(db, user_id, -paintings)
            else:
                return None
            db.execute("insert into spends (job_id, user_id, paid, paintings, day, spent_at) "
                       "values (?, ?, ?, ?, ?, ?)",
                       (job_id, user_id, int(paid), paintings, day, time.time()))
            return Spend(job_id, user_id, paid, paintings, day, new=True)

    def give_back(self, job_id: str) -> tuple[Spend | None, bool]:
        """The job's painting(s) returned (to the day's free ones, or the balance), once:
        the spend as it is now (None when nothing was spent), and whether this call
        gave it back."""
        with self._db.tx() as db:
            spend = self._spend(db, job_id)
            if spend is None or spend.given_back:
                return spend, False
            db.execute("update spends set given_back_at = ? where job_id = ?",
                       (time.time(), job_id))
            if spend.paid:
                self._change_balance(db, spend.user_id, spend.paintings)
            return dataclasses.replace(spend, given_back=True), True

    def balance(self, user_id: int, day: str) -> Balance:
        with self._db.tx() as db:
            return Balance(self._free_used(db, user_id, day), self._paid_left(db, user_id))

    @staticmethod
    def _spend(db: sqlite3.Connection, job_id: str) -> Spend | None:
        row = db.execute("select job_id, user_id, paid, paintings, day, given_back_at "
                         "from spends where job_id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        job, user, paid, paintings, day, given_back_at = row
        return Spend(job, user, bool(paid), paintings, day, given_back_at is not None)

    @staticmethod
    def _free_used(db: sqlite3.Connection, user_id: int, day: str) -> int:
        return int(db.execute("select coalesce(sum(paintings), 0) from spends where "
                              "user_id = ? and day = ? and paid = 0 and given_back_at is null",
                              (user_id, day)).fetchone()[0])

    @staticmethod
    def _paid_left(db: sqlite3.Connection, user_id: int) -> int:
        row = db.execute("select paintings from balances where user_id = ?",
                         (user_id,)).fetchone()
        return int(row[0]) if row else 0

    # -- keeping ------------------------------------------------------------------
    def forget_before(self, spends_before: float, purchases_before: float) -> int:
        """Records past their time go (spends after the retention period, purchases
        after ``PAYMENT_RECORDS_DAYS``, balances once nothing is left); balances with
        paintings in them stay.  How many rows went."""
        with self._db.tx() as db:
            spends = db.execute("delete from spends where spent_at < ?",
                                (spends_before,)).rowcount
            purchases = db.execute("delete from purchases where paid_at < ?",
                                   (purchases_before,)).rowcount
            spent = db.execute("delete from balances where paintings = 0").rowcount
        return spends + purchases + spent
