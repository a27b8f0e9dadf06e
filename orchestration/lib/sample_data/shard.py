"""One shard of a run: its persons' CRM rows and ground truth, historical orders, then the window day by day
(email campaigns, web sessions, sign-ups, store orders, the day's event file), then its orders and
suppressions, all as part files the driver merges.  Its random streams depend only on the seed and the shard
number, so a shard writes the same bytes in any process."""

from __future__ import annotations

import csv
import gc
import math
import random
import time
from bisect import bisect_right
from operator import itemgetter

import numpy as np

from orchestration.lib.sample_data.campaigns import EmailCampaigns
from orchestration.lib.sample_data.clock import DAY_MS, HOUR_MS, iso_seconds, weekday
from orchestration.lib.sample_data.contacts import ShardPopulation, build_population
from orchestration.lib.sample_data.contract import (
    LATE_SESSION_RATE,
    POS_ORDER_RATE,
    QUARANTINE_REASONS,
)
from orchestration.lib.sample_data.event_files import DayFileWriter
from orchestration.lib.sample_data.event_lines import EventRouter
from orchestration.lib.sample_data.geography import (
    CITY_TIME_ZONE,
    TIME_ZONE_STANDARD_OFFSET_MIN,
)
from orchestration.lib.sample_data.orders import OrderBook
from orchestration.lib.sample_data.plan import Plan
from orchestration.lib.sample_data.sessions import WebSessions
from orchestration.lib.sample_data.tracking import LOCAL_HOUR_WEIGHTS

_BY_CONTACT_ID = itemgetter(0)


class Shard:
    def __init__(self, plan: Plan, shard: int, report):
        """`report(("day", shard, day index, lines written))` after each day."""
        self.plan = plan
        self.shard = shard
        self.report = report
        seeds = np.random.SeedSequence([plan.seed, 1000 + shard])
        self.rng = np.random.default_rng(seeds)
        self.rand = random.Random(int(seeds.generate_state(2, np.uint64)[0]) ^ plan.seed)
        self.first, self.end = plan.shard_bounds[shard], plan.shard_bounds[shard + 1]

    def run(self) -> dict:
        """The shard's stats (the GenerationStats counters it contributes, and its seconds)."""
        gc_was = gc.isenabled()
        gc.disable()  # millions of short-lived tuples/strings and no cycles: the collector only costs time
        try:
            return self._run()
        finally:
            if gc_was:
                gc.enable()

    def _run(self) -> dict:
        t0 = time.perf_counter()
        population = build_population(self.plan, self.first, self.end, self.rand, self.rng)
        n_contacts = len(population.contact_rows)
        self._write_crm_parts(population)
        st = dict(event_lines=0, valid_events=0, redelivered=0, late=0, near_future=0, unknown_event=0,
                  files=0, orders=0, order_items=0, unattributed_orders=0,
                  quarantine={r: 0 for r in QUARANTINE_REASONS})
        orders = OrderBook(self.plan, self.shard, self.rand, self.rng, population)
        orders.add_historical_orders()
        self._days(population, orders, st)
        order_rows, item_rows, unattributed = orders.rows()
        self._part("orders", order_rows)
        self._part("order_items", item_rows)
        supp = sorted(((at, e, reason) for e, (reason, at) in population.suppressions.items()))
        self._part("suppression", [(e, reason, iso_seconds(at)) for at, e, reason in supp])
        st.update(orders=len(order_rows), order_items=len(item_rows), unattributed_orders=unattributed,
                  suppressed=len(supp), contacts=n_contacts,
                  duplicate_contacts=n_contacts - sum(1 for c in population.contact_ids if c),
                  persons=population.count)
        st["devices"] = len(population.devices.anonymous_id)
        st["seconds"] = time.perf_counter() - t0
        return st

    # ----------------------------------------------------------------- days
    def _days(self, pop: ShardPopulation, orders: OrderBook, st: dict) -> None:
        plan, rand, rng = self.plan, self.rand, self.rng
        rnd = rand.random
        n_days = len(plan.day_starts)
        as_of_ms = plan.as_of_ms
        first, end, n = self.first, self.end, pop.count
        router = EventRouter(plan.day_starts, as_of_ms)
        sessions = WebSessions(plan, rand, pop, router, orders)
        campaigns = EmailCampaigns(plan, rand, pop, router, sessions)
        writer = DayFileWriter(plan, self.shard, rand, rng)
        click_sessions: dict[int, list] = {}  # day index -> (start ms, person, campaign) of email-click sessions
        signups_by_day: dict[int, list] = {}
        win0 = plan.day_starts[0]
        for pi in range(n):
            if pop.lifecycle[pi] == 4 and pop.contact_ids[pi]:
                di = (pop.signup_ms[pi] - win0) // DAY_MS
                if 0 <= di < n_days:
                    signups_by_day.setdefault(int(di), []).append(pi)
        hour_cum = (np.cumsum(LOCAL_HOUR_WEIGHTS) / sum(LOCAL_HOUR_WEIGHTS)).tolist()
        persons = plan.persons
        life_arr = persons.lifecycle[first:end]
        churn = persons.churn_ms[first:end]
        signup = persons.signup_ms[first:end]
        rate = persons.session_rate[first:end]
        in_crm = persons.in_crm[first:end]
        is_new = (life_arr == 4) & in_crm
        any_new = bool(is_new.any())
        tz_of_person = [TIME_ZONE_STANDARD_OFFSET_MIN[CITY_TIME_ZONE[c]] for c in persons.city[first:end].tolist()]
        pos_ok = (life_arr <= 2) & in_crm
        pos_rate = np.where(pos_ok, POS_ORDER_RATE * np.where(life_arr == 0, 1.5, 0.8), 0.0)
        session = sessions.run
        for di in range(n_days):
            buf = router.start_day(di)
            day_start, limit = router.day_start, min(router.day_end, as_of_ms)
            # ---- email campaigns
            for camp in plan.campaigns.get(di, ()):
                campaigns.send(camp, click_sessions)
            # ---- web sessions
            lam = rate * (1.2 if weekday(day_start) >= 5 else 1.0)
            lam = np.where((life_arr == 2) & (churn <= day_start), 0.0, lam)
            if any_new:
                pre = is_new & (signup > day_start)
                lam = np.where(pre & (signup - day_start <= 10 * DAY_MS), 0.10, np.where(pre, 0.0, lam))
            counts = rng.poisson(lam)
            who = np.nonzero(counts)[0]
            for pi, c in zip(who.tolist(), counts[who].tolist()):
                for _ in range(c):
                    hloc = min(23, bisect_right(hour_cum, rnd()))
                    sec = (hloc * 3600 + int(rnd() * 3600) - tz_of_person[pi] * 60) % 86400
                    t_start = day_start + sec * 1000 + int(rnd() * 1000)
                    if rnd() < LATE_SESSION_RATE:
                        k = 1 + min(4, int(-math.log(1 - rnd()) * 1.5))
                        session(pi, t_start - k * DAY_MS, late_recv=day_start + int(rnd() * (limit - day_start)))
                    elif t_start < limit:
                        session(pi, t_start)
            for pi in signups_by_day.get(di, ()):
                session(pi, pop.signup_ms[pi], signup=True)
            for (t_s, pi, camp) in click_sessions.pop(di, ()):
                session(pi, t_s, camp=camp)
            # ---- store orders
            for pi in np.nonzero(rng.random(n) < pos_rate)[0].tolist():
                t = day_start + int((rnd() * 10 + 8) * HOUR_MS) - tz_of_person[pi] * 60_000
                if t >= limit or t < pop.signup_ms[pi] or (pop.lifecycle[pi] == 2 and t >= pop.churn_ms[pi]):
                    continue
                orders.add_order_without_events(pi, t, pos=True)
            router.end_day()
            nlines = writer.write_day(di, buf, st)
            self.report(("day", self.shard, di, nlines))

    # ----------------------------------------------------------------- part files
    def _part(self, name, rows):
        with open(self.plan.parts / f"{name}-{self.shard:03d}.csv", "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh, lineterminator="\n").writerows(rows)

    def _write_crm_parts(self, pop: ShardPopulation) -> None:
        """contacts and ground-truth part files; the population drops the rows (they are not needed again)."""
        pop.contact_rows.sort(key=_BY_CONTACT_ID)
        self._part("contacts", pop.contact_rows)
        pop.truth_contacts.sort()
        self._part("gt_contacts", pop.truth_contacts)
        self._part("gt_devices", pop.truth_devices)
        self._part("gt_persons", pop.truth_persons)
        pop.contact_rows = pop.truth_contacts = pop.truth_devices = pop.truth_persons = None
