"""The payments ledger (bot/stores/ledger.py) on its own: a charge credits once, a
job spends once (free first, then paid) and gets its painting back once, refunds
take a pack back once, and all of it survives reopening the file."""

from __future__ import annotations

import dataclasses
import threading
import time

from bot.stores.ledger import Balance, Ledger

DAY, NEXT_DAY = "2026-12-07", "2026-12-08"


def test_a_charge_credits_its_pack_once_however_often_it_comes(tmp_path):
    ledger = Ledger(tmp_path / "ledger.db")
    first = ledger.credit("charge-1", 7, 10, 50)
    again = ledger.credit("charge-1", 7, 10, 50)
    assert first.new and not again.new
    assert again.purchase.paintings == 10 and again.purchase.stars == 50
    assert ledger.balance(7, DAY) == Balance(free_used=0, paid=10)
    ledger.close()
    reopened = Ledger(tmp_path / "ledger.db")
    assert reopened.credit("charge-1", 7, 10, 50).new is False
    assert reopened.balance(7, DAY).paid == 10
    reopened.close()


def test_concurrent_credits_of_one_charge_add_one_pack(tmp_path):
    ledger = Ledger(tmp_path / "ledger.db")
    results = []
    threads = [threading.Thread(target=lambda: results.append(
        ledger.credit("charge-x", 7, 5, 20).new)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]
    assert ledger.balance(7, DAY).paid == 5


def test_free_paintings_first_then_paid_then_none(tmp_path):
    ledger = Ledger(tmp_path / "ledger.db")
    assert not ledger.spend("a", 7, 1, DAY, free_per_day=2).paid
    assert not ledger.spend("b", 7, 1, DAY, free_per_day=2).paid
    assert ledger.spend("c", 7, 1, DAY, free_per_day=2) is None  # nothing bought
    ledger.credit("charge-1", 7, 2, 10)
    assert ledger.spend("c", 7, 1, DAY, free_per_day=2).paid
    # a clip costs 3: one paid painting left is not enough, and nothing is taken
    assert ledger.spend("clip", 7, 3, DAY, free_per_day=2) is None
    assert ledger.balance(7, DAY) == Balance(free_used=2, paid=1)
    # the next UTC day brings the free ones back; the paid one stays
    assert not ledger.spend("d", 7, 1, NEXT_DAY, free_per_day=2).paid
    assert ledger.balance(7, NEXT_DAY) == Balance(free_used=1, paid=1)
    # another person's count is their own
    assert not ledger.spend("e", 8, 1, DAY, free_per_day=2).paid


def test_spending_again_for_the_same_job_takes_nothing_more(tmp_path):
    ledger = Ledger(tmp_path / "ledger.db")
    ledger.credit("charge-1", 7, 1, 5)
    first = ledger.spend("job", 7, 1, DAY, free_per_day=1)
    paid = ledger.spend("job2", 7, 1, DAY, free_per_day=1)
    assert first is not None and not first.paid and paid is not None and paid.paid
    assert first.new and paid.new
    again = ledger.spend("job2", 7, 1, DAY, free_per_day=1)  # a replay: found, not made
    assert again == dataclasses.replace(paid, new=False)
    assert ledger.spend("job", 7, 1, DAY, free_per_day=1) == dataclasses.replace(first,
                                                                               new=False)
    assert ledger.balance(7, DAY) == Balance(free_used=1, paid=0)


def test_a_painting_given_back_once_to_where_it_came_from(tmp_path):
    ledger = Ledger(tmp_path / "ledger.db")
    ledger.credit("charge-1", 7, 1, 5)
    ledger.spend("free", 7, 1, DAY, free_per_day=1)
    ledger.spend("paid", 7, 1, DAY, free_per_day=1)
    assert ledger.balance(7, DAY) == Balance(free_used=1, paid=0)
    spend, now = ledger.give_back("paid")
    assert now and spend is not None and spend.paid and spend.given_back
    assert ledger.give_back("paid")[1] is False  # a delivery redone: nothing more
    spend, now = ledger.give_back("free")
    assert now and spend is not None and not spend.paid
    assert ledger.balance(7, DAY) == Balance(free_used=0, paid=1)
    assert ledger.give_back("never-spent") == (None, False)
    # a given-back job spent again (the same update replayed) stays given back
    assert ledger.spend("paid", 7, 1, DAY, free_per_day=1).given_back
    assert ledger.balance(7, DAY) == Balance(free_used=0, paid=1)


def test_a_refund_takes_the_pack_back_once(tmp_path):
    ledger = Ledger(tmp_path / "ledger.db")
    ledger.credit("charge-1", 7, 10, 50)
    ledger.spend("job", 7, 1, DAY, free_per_day=0)  # free: no limit, nothing counted
    assert ledger.balance(7, DAY).paid == 10
    ledger.credit("charge-2", 7, 3, 20)
    before = ledger.refunded("charge-2")
    assert before is not None and before.refunded_at is None
    after = ledger.refunded("charge-2")
    assert after is not None and after.refunded_at is not None
    assert ledger.balance(7, DAY).paid == 10
    assert ledger.refunded("unknown") is None


def test_a_refund_after_the_paintings_were_used_leaves_a_debt(tmp_path):
    ledger = Ledger(tmp_path / "ledger.db")
    ledger.credit("charge-1", 7, 2, 10)
    ledger.spend("a", 7, 1, DAY, free_per_day=1)
    ledger.spend("b", 7, 1, DAY, free_per_day=1)
    ledger.refunded("charge-1")
    assert ledger.balance(7, DAY).paid == -1
    ledger.credit("charge-2", 7, 2, 10)
    assert ledger.balance(7, DAY).paid == 1  # the debt is paid first


def test_receipts_and_refund_notes_are_remembered(tmp_path):
    ledger = Ledger(tmp_path / "ledger.db")
    ledger.credit("charge-1", 7, 2, 10)
    assert not ledger.purchase("charge-1").receipt_sent
    ledger.receipt_sent("charge-1")
    ledger.refund_noted("charge-1")
    kept = ledger.purchase("charge-1")
    assert kept.receipt_sent and kept.refund_noted
    assert ledger.credit("charge-1", 7, 2, 10).purchase.receipt_sent


def test_old_records_go_but_balances_stay(tmp_path):
    ledger = Ledger(tmp_path / "ledger.db")
    ledger.credit("charge-1", 7, 2, 10)
    ledger.spend("a", 7, 1, DAY, free_per_day=1)
    ledger.spend("b", 8, 1, DAY, free_per_day=1)
    later = time.time() + 10
    assert ledger.forget_before(spends_before=later, purchases_before=0) == 2
    assert ledger.purchase("charge-1") is not None
    assert ledger.forget_before(spends_before=later, purchases_before=later) == 1
    assert ledger.purchase("charge-1") is None
    assert ledger.balance(7, DAY) == Balance(free_used=0, paid=2)
