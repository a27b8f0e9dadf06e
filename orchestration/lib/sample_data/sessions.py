"""Web sessions of a shard's persons: landing page (home, paid campaign or email click) -> category list or
search -> product views -> cart (adds, removes, cart view, abandonment) -> checkout -> ``Order Completed``.
Registered persons sign in part-way (``identify`` + ``Signed In``), new ones sign up; extra events outside the
contract are sprinkled in at UNKNOWN_EVENT_RATE.  Events go to the router's buffers; orders to the order book.
"""

from __future__ import annotations

import math
import random
from urllib.parse import quote_plus

from orchestration.lib.sample_data.catalog import Catalog
from orchestration.lib.sample_data.contacts import ShardPopulation
from orchestration.lib.sample_data.contract import UNKNOWN_EVENT_RATE
from orchestration.lib.sample_data.event_lines import (
    EVENT_PREFIX,
    IDENTIFY_HEAD,
    LINE_END,
    PAGE_HEAD,
    TRACK_HEAD,
    EventRouter,
)
from orchestration.lib.sample_data.geography import CURRENCIES
from orchestration.lib.sample_data.messy_values import typo
from orchestration.lib.sample_data.orders import OrderBook
from orchestration.lib.sample_data.plan import Plan
from orchestration.lib.sample_data.text import compact_json, format_cents
from orchestration.lib.sample_data.tracking import (
    PAID_CAMPAIGNS,
    SHOP_URL,
    UNKNOWN_CART_EVENTS,
    UNKNOWN_OTHER_EVENTS,
    UNKNOWN_PRODUCT_EVENTS,
)


class WebSessions:
    def __init__(self, plan: Plan, rand: random.Random, population: ShardPopulation, router: EventRouter,
                 orders: OrderBook):
        self.plan = plan
        self.catalog: Catalog = plan.catalog
        self.rand = rand
        self.population = population
        self.devices = population.devices
        self.router = router
        self.orders = orders

    def run(self, pi, t, camp=None, signup=False, late_recv=None):
        """A session of person `pi` starting at `t`: from a campaign click (`camp`), the sign-up of a new
        person (`signup`), or delivered late on `late_recv` (ms) instead of when it happened."""
        plan, catalog, pop, devices, rand = self.plan, self.catalog, self.population, self.devices, self.rand
        rnd = rand.random
        nd = pop.device_count[pi]
        d0 = pop.first_device[pi]
        if camp is not None:  # email clicks mostly on the phone
            mob = [d for d in range(d0, d0 + nd) if devices.mobile[d]]
            dev = mob[0] if mob and rnd() < 0.7 else d0 + int(rnd() * nd)
        else:
            dev = d0 if (nd == 1 or rnd() < 0.6) else d0 + 1 + int(rnd() * (nd - 1))
        style = devices.timestamp_style[dev]
        ctxc = devices.context_prefix[dev]
        anon_ids = devices.anonymous_ids_json[dev]
        cids = pop.contact_ids[pi]
        registered = bool(cids) and pop.signup_ms[pi] <= t
        if cids:
            cid = cids[0] if len(cids) == 1 or rnd() < 0.85 else cids[1 + int(rnd() * (len(cids) - 1))]
            both_ids = ',"userId":"' + cid + '","anonymousId":"' + devices.anonymous_id[dev] + '"'
        else:
            cid, both_ids = None, anon_ids
        logged = registered and devices.known[dev] and rnd() < 0.75
        ids = both_ids if logged else anon_ids
        cur = pop.currency[pi]
        as_of = plan.as_of_ms
        day_end = self.router.day_end
        fast_end = min(day_end, as_of)
        buf = self.router.today
        add_code, add_head, add_body = buf.codes.append, buf.heads.append, buf.bodies.append
        style_bits = style << 1
        route = self.router.route
        late_at = late_recv
        event_prefix = EVENT_PREFIX
        product_viewed = EVENT_PREFIX["Product Viewed"]
        signed_in = EVENT_PREFIX["Signed In"]
        track_head, page_head, identify_head, line_end = TRACK_HEAD, PAGE_HEAD, IDENTIFY_HEAD, LINE_END  # locals: fast
        cat_json = catalog.category_json
        prod_url = catalog.product_url
        home = SHOP_URL + "/"

        def emit(tt, head, body, flags=0):
            nonlocal late_at
            if tt >= as_of:
                return False
            if late_at is not None:
                buf.late.append((len(buf.codes), late_at << 5))
                late_at += 1
            elif tt >= day_end:
                return route(tt, head, body, style, flags)
            add_code(tt << 5 | style_bits | flags)
            add_head(head)
            add_body(body)
            return True

        def unknown(tt, url, j=-1, cart=None):
            if j >= 0 and rnd() < 0.7:
                name = UNKNOWN_PRODUCT_EVENTS[int(rnd() * len(UNKNOWN_PRODUCT_EVENTS))]
                props = ('{"product_id":"' + catalog.product_ids[j] + '","category":'
                         + cat_json[catalog.product_category[j]] + "}")
            elif cart:
                name = UNKNOWN_CART_EVENTS[int(rnd() * len(UNKNOWN_CART_EVENTS))]
                coupon = ("WELCOME10", "AUTUMN15", "FREESHIP")[int(rnd() * 3)]
                props = '{"cart_id":"' + cart + '","coupon":"' + coupon + '"}'
            else:
                name = UNKNOWN_OTHER_EVENTS[int(rnd() * len(UNKNOWN_OTHER_EVENTS))]
                props = "{}"
            return emit(tt, track_head, f"{ids}{event_prefix[name]}{props}{ctxc}{url}{line_end}", 1)

        def identify(tt, url):
            nonlocal ids, logged
            ids = both_ids
            logged = True
            devices.known[dev] = True
            return emit(tt, identify_head, f'{ids},"traits":{pop.traits_json[cid]}{ctxc}{url}{line_end}') and \
                emit(tt + 150 + int(rnd() * 400), track_head, f"{ids}{signed_in}{{}}{ctxc}{url}{line_end}")

        # ---- landing
        if signup:
            t = t - int(60_000 + rnd() * 240_000)
        if camp is not None:
            url = camp.url
            lcat = camp.category
            tail = '"}' + camp.context_campaign_json + "}}\n"
            if lcat >= 0:
                body = ',"name":"Category","properties":' + catalog.category_page_props[lcat]
            else:
                body = ',"name":"Home","properties":{"path":"/","url":"' + home + '","title":"Shop"}'
            ok = emit(t, page_head, f"{ids}{body}{ctxc}{url}{tail}")
        else:
            lcat = -1
            if rnd() < 0.22:
                src, med, nm = PAID_CAMPAIGNS[int(rnd() * len(PAID_CAMPAIGNS))]
                url = f"{home}?utm_source={src}&utm_medium={med}&utm_campaign={nm}"
                tail = '"},"campaign":{"source":"' + src + '","medium":"' + med + '","name":"' + nm + '"}}}\n'
            else:
                url, tail = home, line_end
            ok = emit(t, page_head,
                      f'{ids},"name":"Home","properties":{{"path":"/","url":"{url}","title":"Shop"}}{ctxc}{url}{tail}')
        if not ok:
            return
        if rnd() < UNKNOWN_EVENT_RATE:
            unknown(t + 4000, url)
        # ---- sign-up flow
        if signup and cid:
            t += 20_000 + int(rnd() * 40_000)
            url = home + "account/register"
            emit(t, page_head, f'{ids},"name":"Sign Up","properties":{{"path":"/account/register","url":"{url}",'
                               f'"title":"Create account"}}{ctxc}{url}{line_end}')
            t = max(t + 10_000, pop.signup_ms[pi])
            ids = both_ids
            logged = True
            devices.known[dev] = True
            emit(t, track_head, f'{ids}{event_prefix["Signed Up"]}{{}}{ctxc}{url}{line_end}')
            emit(t + 300, identify_head, f'{ids},"traits":{pop.traits_json[cid]}{ctxc}{url}{line_end}')
            registered = True
        login_at = int(rnd() * 3) if (registered and not logged and rnd() < 0.22) else -1
        # ---- browse
        cat = lcat if lcat >= 0 else pop.category_picks[pi][int(rnd() * 16)]
        plist = catalog.product_lists[pop.product_list_key[pi]]
        r = rnd()
        t += 3000 + int(rnd() * 30_000)
        step = 0
        if r < 0.62 or lcat >= 0:
            pl = plist[cat]
            lurl = catalog.category_url[cat]
            if rnd() < 0.3:
                emit(t, page_head,
                     f'{ids},"name":"Category","properties":{catalog.category_page_props[cat]}{ctxc}{lurl}{line_end}')
                t += 500
            listed = catalog.product_list_props[pl[int(rnd() * len(pl))]]
            if not emit(t, track_head, f'{ids}{event_prefix["Product List Viewed"]}{listed}{ctxc}{lurl}{line_end}'):
                return
            url = lurl
        elif r < 0.84:
            qs = catalog.search_queries[cat]
            qry = qs[int(rnd() * len(qs))]
            if rnd() < 0.08:
                qry = typo(qry, rand)
            surl = home + "search?q=" + quote_plus(qry)
            if rnd() < 0.3:
                emit(t, page_head, f'{ids},"name":"Search Results","properties":{{"path":"/search",'
                                   f'"url":{compact_json(surl)},"title":"Search"}}{ctxc}{surl}{line_end}')
                t += 500
            if not emit(t, track_head, f'{ids}{event_prefix["Products Searched"]}{{"query":{compact_json(qry)}}}'
                                       f'{ctxc}{surl}{line_end}'):
                return
            url = surl
        if login_at == 0:
            t += 2000
            if not identify(t, url):
                return
        viewed = []
        nv = 1 + int(-math.log(1 - rnd()) * pop.browse_depth[pi])
        new_by_cat = catalog.new_products_by_category[cat]
        launch = catalog.product_launch_ms
        frag_view = catalog.product_viewed_props[cur]
        catpick = pop.category_picks[pi]
        lstcat = plist[cat]
        for v in range(nv):
            t += 8000 + int(rnd() * 90_000)
            r = rnd()
            if r < 0.07 and new_by_cat:
                j = new_by_cat[int(rnd() * len(new_by_cat))]
            else:
                lst = lstcat if r < 0.77 else plist[catpick[int(rnd() * 16)]]
                j = lst[int(rnd() * len(lst))]
            if launch[j] > t:
                old = catalog.older_products_by_category[cat]
                j = old[int(rnd() * len(old))]
            viewed.append(j)
            url = prod_url[j]
            if rnd() < 0.25:
                emit(t, page_head,
                     f'{ids},"name":"Product","properties":{catalog.product_page_props[j]}{ctxc}{url}{line_end}')
                t += 300
            if late_at is None and t < fast_end:  # the common case of emit(), inlined
                add_code(t << 5 | style_bits)
                add_head(track_head)
                add_body(f"{ids}{product_viewed}{frag_view[j]}{ctxc}{url}{line_end}")
            elif not emit(t, track_head, f"{ids}{product_viewed}{frag_view[j]}{ctxc}{url}{line_end}"):
                return
            if rnd() < 0.04:
                t += 2000 + int(rnd() * 10_000)
                emit(t, track_head, f'{ids}{event_prefix["Video Playback Started"]}'
                                    f'{{"video_id":"vid_{catalog.product_ids[j][4:]}",'
                                    f'"category":{cat_json[catalog.product_category[j]]}}}{ctxc}{url}{line_end}')
            if rnd() < UNKNOWN_EVENT_RATE:
                unknown(t + 3000, url, j)
            step += 1
            if login_at == step:
                t += 2000
                if not identify(t, url):
                    return
        # ---- cart
        if rnd() >= pop.cart_intent[pi]:
            return
        cart = "%016x" % rand.getrandbits(64)
        adds = []
        frag_core = catalog.product_core_props[cur]
        cands = list(dict.fromkeys(viewed))
        for _ in range(min(len(cands), 1 + (rnd() < 0.3) + (rnd() < 0.1))):
            j = cands.pop(int(rnd() * len(cands)))
            qn = 1 if rnd() < 0.85 else 2
            t += 5000 + int(rnd() * 50_000)
            if not emit(t, track_head, f'{ids}{event_prefix["Product Added"]}'
                                       f'{{"cart_id":"{cart}",{frag_core[j]},"quantity":{qn}}}'
                                       f'{ctxc}{prod_url[j]}{line_end}'):
                return
            adds.append((j, qn))
            if rnd() < UNKNOWN_EVENT_RATE:
                unknown(t + 2000, prod_url[j], -1, cart)
        curl = home + "cart"
        if len(adds) > 1 and rnd() < 0.15:
            j, qn = adds.pop(int(rnd() * len(adds)))
            t += 3000 + int(rnd() * 30_000)
            if not emit(t, track_head, f'{ids}{event_prefix["Product Removed"]}'
                                       f'{{"cart_id":"{cart}",{frag_core[j]},"quantity":{qn}}}'
                                       f'{ctxc}{curl}{line_end}'):
                return
        if rnd() < 0.55:
            t += 2000 + int(rnd() * 20_000)
            if not emit(t, track_head,
                        f'{ids}{event_prefix["Cart Viewed"]}{{"cart_id":"{cart}"}}{ctxc}{curl}{line_end}'):
                return
        if rnd() >= 0.55:
            return  # abandoned cart
        if registered and not logged and rnd() < 0.7:
            t += 5000 + int(rnd() * 30_000)
            if not identify(t, home + "account/login"):
                return
        items = [(j, qn, catalog.product_price_cents[cur][j]) for j, qn in adds]
        total = sum(qn * c for _, qn, c in items)
        oid = self.orders.new_order_id()
        t += 10_000 + int(rnd() * 60_000)
        churl = home + "checkout"
        if not emit(t, track_head, f'{ids}{event_prefix["Checkout Started"]}{{"cart_id":"{cart}","order_id":"{oid}",'
                                   f'"value":{format_cents(total)},"currency":"{CURRENCIES[cur]}"}}{ctxc}{churl}{line_end}'):
            return
        if rnd() < UNKNOWN_EVENT_RATE:
            unknown(t + 2000, churl, -1, cart)
        if rnd() >= 0.72:
            return  # abandoned checkout
        t += 30_000 + int(rnd() * 180_000)
        prods = ",".join([f'{{{frag_core[j]},"quantity":{qn}}}' for j, qn, _ in items])
        if not emit(t, track_head, f'{ids}{event_prefix["Order Completed"]}'
                                   f'{{"order_id":"{oid}","total":{format_cents(total)},'
                                   f'"currency":"{CURRENCIES[cur]}","products":[{prods}]}}'
                                   f'{ctxc}{churl}/confirmation{line_end}'):
            return
        if logged:
            ocid = cid
            oem = pop.email[pi] if rnd() < 0.9 else ""
        else:
            ocid = ""
            oem = pop.email[pi] if rnd() < 0.85 else pop.alt_email[pi]
        self.orders.record(oid, ocid, oem, t, cur, items)

