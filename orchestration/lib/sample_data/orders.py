"""A shard's orders: web checkouts (recorded by sessions), store (POS) orders and historical orders from before
the window, with baskets drawn from the person's tastes; written as orders/order_items rows."""

from __future__ import annotations

import random
from typing import NamedTuple

import numpy as np

from orchestration.lib.sample_data.clock import DAY_MS, iso_seconds
from orchestration.lib.sample_data.contacts import ShardPopulation
from orchestration.lib.sample_data.contract import POS_UNATTRIBUTED_SHARE
from orchestration.lib.sample_data.geography import CURRENCIES
from orchestration.lib.sample_data.plan import MAX_SHARDS, Plan
from orchestration.lib.sample_data.text import format_cents


class Order(NamedTuple):
    at_ms: int
    order_id: str
    contact_id: str
    email: str
    status: str
    currency: int  # index into CURRENCIES
    total_cents: int
    items: list  # [(product index, quantity, unit price cents)]


class OrderBook:
    """Order ids are unique across shards: the shard is the id's residue modulo MAX_SHARDS."""

    def __init__(self, plan: Plan, shard: int, rand: random.Random, rng: np.random.Generator,
                 population: ShardPopulation):
        self.plan = plan
        self.shard = shard
        self.rand = rand
        self.rng = rng
        self.population = population
        self.orders: list[Order] = []
        self.web_sequence = 0
        self.pos_sequence = 0

    def new_order_id(self, pos: bool = False) -> str:
        if pos:
            self.pos_sequence += 1
            return f"POS-{1_000_000 + self.pos_sequence * MAX_SHARDS + self.shard}"
        self.web_sequence += 1
        return f"O{10_000_000 + self.web_sequence * MAX_SHARDS + self.shard}"

    def _pick_product(self, pi, t, cat=-1):
        catalog, rnd = self.plan.catalog, self.rand.random
        if cat < 0:
            cat = self.population.category_picks[pi][int(rnd() * 16)]
        lst = catalog.product_lists[self.population.product_list_key[pi]][cat]
        j = lst[int(rnd() * len(lst))]
        if catalog.product_launch_ms[j] > t:
            old = catalog.older_products_by_category[cat]
            j = old[int(rnd() * len(old))]
        return j

    def _basket(self, pi, t, cur):
        rnd = self.rand.random
        qty: dict[int, int] = {}
        for _ in range(1 + (rnd() < 0.35) + (rnd() < 0.12)):
            j = self._pick_product(pi, t)
            qty[j] = qty.get(j, 0) + (1 if rnd() < 0.82 else (2 if rnd() < 0.8 else 3))
        return [(j, q, self.plan.catalog.product_price_cents[cur][j]) for j, q in qty.items()]

    def add_historical_orders(self) -> None:
        """Orders of CRM persons before the window (before churn / up to the last activity of inactive ones)."""
        plan, rand, pop = self.plan, self.rand, self.population
        first, end = pop.first, pop.first + pop.count
        win_start = plan.day_starts[0]
        lam = np.array([2.6, 1.1, 2.4, 1.6, 0.0])
        ks = self.rng.poisson(lam[np.array(pop.lifecycle, dtype=np.int64)] * plan.persons.in_crm[first:end]).tolist()
        lastact = plan.persons.last_activity_ms[first:end].tolist()
        for pi in range(pop.count):
            k = ks[pi]
            if not k:
                continue
            li = pop.lifecycle[pi]
            hi_t = pop.churn_ms[pi] if li == 2 else (lastact[pi] if li == 3 else win_start - 1000)
            lo_t = max(pop.signup_ms[pi], hi_t - 2 * 365 * DAY_MS)
            if hi_t <= lo_t:
                continue
            for _ in range(k):
                t = int(rand.uniform(lo_t, hi_t))
                if li == 3 and rand.random() < 0.5:
                    t = hi_t - int(rand.random() * 3 * DAY_MS)  # the last activity is an order
                self.add_order_without_events(pi, t, pos=rand.random() < 0.25)

    def add_order_without_events(self, pi, t, pos):
        """A store order, or an online one from before the window: who it names varies."""
        rand, pop = self.rand, self.population
        cur = pop.currency[pi]
        items = self._basket(pi, t, cur)
        cids = pop.contact_ids[pi]
        if pos:
            r = rand.random()
            if r < POS_UNATTRIBUTED_SHARE:
                cid, em = "", ""
            elif r < 0.72 and cids:
                cid, em = rand.choice(cids), ""
            else:
                cid, em = "", pop.email[pi] if rand.random() < 0.8 else pop.alt_email[pi]
        else:
            cid = cids[0] if cids and rand.random() < 0.9 else ""
            em = pop.email[pi] if (not cid or rand.random() < 0.85) else ""
        self.record(self.new_order_id(pos), cid, em, t, cur, items, pos)

    def record(self, oid, cid, email, t, cur, items, pos=False):
        r = self.rand.random()
        status = "completed" if r < 0.93 else ("refunded" if r < 0.97 else ("cancelled" if not pos else "refunded"))
        total = sum(q * c for _, q, c in items)
        self.orders.append(Order(t, oid, cid, email, status, cur, total, items))

    def rows(self) -> tuple[list, list, int]:
        """(orders.csv rows, order_items.csv rows, orders naming neither a contact nor an email), by time."""
        self.orders.sort(key=lambda o: (o.at_ms, o.order_id))
        order_rows, item_rows = [], []
        unattributed = 0
        product_ids = self.plan.catalog.product_ids
        for (t, oid, cid, em, status, cur, total, items) in self.orders:
            order_rows.append((oid, cid, em, iso_seconds(t), status, CURRENCIES[cur], format_cents(total)))
            if not cid and not em:
                unattributed += 1
            for j, qn, c in items:
                item_rows.append((oid, product_ids[j], qn, format_cents(c)))
        return order_rows, item_rows, unattributed
