"""Email campaigns: planned per day in the parent (two newsletters a week, promos, some A/B tests), sent per
shard to its mailable contacts (delivered / bounced / opened / clicked / unsubscribed / spam events, userId
only; clicks start a web session)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from orchestration.lib.sample_data.assortment import CATEGORIES
from orchestration.lib.sample_data.clock import (
    DAY_MS,
    EPOCH_ORDINAL,
    HOUR_MS,
    iso_date,
    weekday,
)
from orchestration.lib.sample_data.event_lines import TRACK_HEAD, EventRouter
from orchestration.lib.sample_data.text import compact_json, slug
from orchestration.lib.sample_data.tracking import SHOP_URL

if TYPE_CHECKING:  # the plan holds campaigns, and sessions start from clicks: type names only
    from orchestration.lib.sample_data.contacts import ShardPopulation
    from orchestration.lib.sample_data.plan import Plan
    from orchestration.lib.sample_data.sessions import WebSessions


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    name: str
    category: int  # index into CATEGORIES; -1: no category (lands on the home page)
    ab_test: bool  # variants A and B, B opened more often
    send_ms: int
    audience_share: float  # share of the mailable contacts it goes to
    url: str  # the landing page with utm parameters
    context_campaign_json: str  # ',"campaign":{...}' of the landing page's context


def plan_campaigns(rng: np.random.Generator, day_starts: list[int]) -> dict[int, list[Campaign]]:
    out: dict[int, list[Campaign]] = {}
    for di, ds in enumerate(day_starts):
        wd = weekday(ds)
        dname = iso_date(ds // DAY_MS).replace("-", "")
        kinds = []
        if wd in (1, 4):
            kinds.append("newsletter")
        if rng.random() < 0.18:
            kinds.append("promo")
        for kind in kinds:
            cat = int(rng.integers(len(CATEGORIES))) if (kind == "promo" or rng.random() < 0.5) else -1
            if kind == "newsletter":
                name = f"Weekly Newsletter {_iso_week(ds)}"
            else:
                name = str(rng.choice(["Flash Sale", "Weekend Deals", "New Arrivals", "Members Offer", "Last Chance"]))
                name = f"{name}: {CATEGORIES[cat]}"
            cid = f"cmp_{dname}_{slug(name).replace('-', '_')[:24]}"
            path = f"/c/{slug(CATEGORIES[cat])}" if cat >= 0 else "/"
            out.setdefault(di, []).append(Campaign(
                campaign_id=cid, name=name, category=cat, ab_test=bool(rng.random() < 0.4),
                send_ms=ds + int(rng.integers(6 * 60, 17 * 60)) * 60_000 + int(rng.integers(60_000)),
                audience_share=float(rng.uniform(0.55, 0.95)),
                url=f"{SHOP_URL}{path}?utm_source=newsletter&utm_medium=email&utm_campaign={cid}",
                context_campaign_json=',"campaign":{"source":"newsletter","medium":"email","name":'
                + compact_json(cid) + "}",
            ))
    return out


def _iso_week(ms: int) -> int:
    return date.fromordinal(EPOCH_ORDINAL + ms // DAY_MS).isocalendar()[1]


class EmailCampaigns:
    """Sends a day's campaigns of one shard: events go through the router; a click's session starts today or
    is queued in `pending_sessions` for its day."""

    def __init__(self, plan: Plan, rand: random.Random, population: ShardPopulation, router: EventRouter,
                 sessions: WebSessions):
        self.plan = plan
        self.rand = rand
        self.population = population
        self.router = router
        self.sessions = sessions

    def send(self, camp: Campaign, pending_sessions: dict[int, list]) -> None:
        rnd = self.rand.random
        getrandbits = self.rand.getrandbits
        send = camp.send_ms
        if send >= self.plan.as_of_ms:
            return
        cat = camp.category
        share = camp.audience_share
        ab = camp.ab_test
        base = ',"properties":{"campaign_id":' + compact_json(camp.campaign_id) + ',"email_id":"em_'
        click_tail = ',"url":' + compact_json(camp.url) + "}}\n"
        open_p = (0.42, 0.22, 0.10, 0.0, 0.48)  # inactive persons never open; churned ones stop (below)
        pop = self.population
        churn = pop.churn_ms
        router = self.router
        route = router.route
        supp = pop.suppressions
        signup, life, pref = pop.signup_ms, pop.lifecycle, pop.preferred_category
        head = TRACK_HEAD
        delivered = ',"event":"Email Delivered"'
        bounced = ',"event":"Email Bounced"'
        opened = ',"event":"Email Opened"'
        spam = ',"event":"Email Marked as Spam"'
        unsubscribed = ',"event":"Unsubscribed"'
        clicked = ',"event":"Email Link Clicked"'
        for (pi, cid, i, e, bounce, ids) in pop.mail_recipients:
            if rnd() >= share or e in supp or signup[pi] > send:
                continue
            props = base + "%016x" % getrandbits(64) + '"'
            var_b = False
            if ab:
                var_b = rnd() < 0.5
                props += ',"variant":"B"' if var_b else ',"variant":"A"'
            t = send + int(rnd() * 2_400_000)
            if bounce or rnd() < 0.003:
                route(t, head, ids + bounced + props + "}}\n", 0, 0)
                if bounce:
                    supp[e] = ("bounced", t)
                continue
            route(t, head, ids + delivered + props + "}}\n", 0, 0)
            li = life[pi]
            if rnd() < 0.0002:
                t2 = t + int(rnd() * 6 * HOUR_MS)
                if route(t2, head, ids + spam + props + "}}\n", 0, 0):
                    supp[e] = ("complained", t2)
                continue
            match = cat == pref[pi]
            if li == 2 and churn[pi] <= send:
                continue
            if rnd() >= open_p[li] * (1.6 if match else 1.0) * (1.15 if var_b else 1.0):
                continue
            t_open = t + int(60_000 + (-math.log(1 - rnd())) * 5 * HOUR_MS)
            if not route(t_open, head, ids + opened + props + "}}\n", 0, 0):
                continue
            if rnd() < (0.001 if li in (0, 4) else 0.004):
                t_u = t_open + int(rnd() * 120_000)
                if route(t_u, head, ids + unsubscribed + props + "}}\n", 0, 0):
                    supp[e] = ("unsubscribed", t_u)
                continue
            if rnd() < 0.14 * (2.0 if match else 1.0):
                t_c = t_open + 5_000 + int(rnd() * 240_000)
                if route(t_c, head, ids + clicked + props + click_tail, 0, 0) and rnd() < 0.85:
                    ts = t_c + 2_000 + int(rnd() * 20_000)
                    di2 = (ts - router.first_day_start) // DAY_MS
                    if di2 == router.day_index:
                        self.sessions.run(pi, ts, camp=camp)
                    elif di2 < router.day_count:
                        pending_sessions.setdefault(int(di2), []).append((ts, pi, camp))
