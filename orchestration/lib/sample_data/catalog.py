"""The product catalog: catalog/products.csv rows, and the lookup tables sessions and orders draw products from
(prices per currency, pre-encoded JSON fragments of the event lines, weighted candidate lists per kind of person)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import numpy as np

from orchestration.lib.sample_data.assortment import (
    BRANDS,
    CATEGORIES,
    CATEGORY_SHARES,
    COLORS,
    NAME_ADJECTIVES,
    SUBCATEGORIES,
    subcategory_weight,
)
from orchestration.lib.sample_data.clock import DAY_MS, iso_seconds
from orchestration.lib.sample_data.geography import CURRENCIES, EUR_EXCHANGE_RATES
from orchestration.lib.sample_data.text import compact_json, format_cents, slug
from orchestration.lib.sample_data.tracking import SHOP_URL


@dataclass
class Catalog:
    """Products by index j (catalog order) and categories by index (CATEGORIES order); JSON fragments are
    pre-encoded pieces of event lines."""

    category_json: list  # [cat] '"Electronics"'
    category_slug: list
    category_url: list
    category_page_props: list  # [cat] page properties {"path","url","title"}
    product_page_props: list  # [j] page properties {"path","url","title"}
    product_list_props: list  # [j] Product List Viewed properties {"category","list_id"}
    product_ids: list
    product_category: list  # [j] category index
    product_subcategory: list
    product_launch_ms: list
    product_is_new: list
    product_price_cents: list  # [currency][j]
    product_viewed_props: list  # [currency][j] json object for Product Viewed
    product_core_props: list  # [currency][j] '"product_id":..,"category":..,"price":..'
    product_url: list
    product_lists: list  # [gender * 9 + age band * 3 + price level][cat] -> product indices (weighted by repetition)
    new_products_by_category: list
    older_products_by_category: list  # [cat] products launched long ago (all products if a category has none)
    search_queries: list  # [cat] -> search queries


def make_catalog(rng: np.random.Generator, rand: random.Random, n_products: int,
                 as_of_ms: int) -> tuple[list[tuple], Catalog]:
    """(catalog/products.csv rows, the catalog's lookup tables)."""
    cat_of = rng.choice(len(CATEGORIES), size=n_products, p=np.array(CATEGORY_SHARES) / sum(CATEGORY_SHARES))
    cat_of.sort(kind="stable")
    rows, ids, cats, subs, launch, new, price_eur, urls = [], [], [], [], [], [], [], []
    used_names: dict[str, int] = {}
    for j, ci in enumerate(cat_of.tolist()):
        cat = CATEGORIES[ci]
        sub, lo, hi, nouns = rand.choice(SUBCATEGORIES[cat])
        brand = rand.choice(BRANDS[cat])
        noun = rand.choice(nouns)
        if cat == "Electronics":
            name = f"{brand} {noun} {rand.choice(('X', 'S', 'Z', 'Neo ', 'Pro '))}{rand.randint(2, 12)}"
        elif cat == "Fashion":
            name = f"{brand} {rand.choice(COLORS)} {noun}"
        else:
            name = f"{brand} {rand.choice(NAME_ADJECTIVES)} {noun}"
        k = used_names.get(name, 0)
        used_names[name] = k + 1
        if k:
            name = f"{name} {rand.choice(COLORS) if cat != 'Books' else 'Vol.'} {k + 1}"
        # log-uniform price with a psychological ending
        p = math.exp(rand.uniform(math.log(lo), math.log(hi)))
        cents = int(p) * 100 + rand.choice((99, 95, 90, 0, 49)) if p >= 10 else int(p * 10) * 10 + 9
        cents = max(cents, 99)
        is_new = rand.random() < 0.10
        if is_new:
            lms = as_of_ms - int(rand.uniform(1, 28) * DAY_MS)
        else:
            lms = as_of_ms - int(rand.uniform(45, 1500) * DAY_MS)
        lms -= lms % 60_000
        pid = f"SKU-{10000 + j:05d}"
        url = f"{SHOP_URL}/p/{pid.lower()}-{slug(name)}"
        ids.append(pid)
        cats.append(ci)
        subs.append(sub)
        launch.append(lms)
        new.append(is_new)
        price_eur.append(cents)
        urls.append(url)
        rows.append((pid, name, cat, sub, format_cents(cents), "true" if is_new else "false", iso_seconds(lms), url,
                     f"{SHOP_URL}/img/{pid.lower()}.jpg"))
    prices = [[int(round(c * fx / 10.0)) * 10 - (1 if fx != 1.0 else 0) if fx != 1.0 else c for c in price_eur]
              for fx in EUR_EXCHANGE_RATES]
    viewed_props, core_props = [], []
    for cur in range(len(CURRENCIES)):
        fv, fc = [], []
        for j, (pid, name) in enumerate(zip(ids, (r[1] for r in rows))):
            cat = CATEGORIES[cats[j]]
            pr = format_cents(prices[cur][j])
            fv.append("{" + f'"product_id":"{pid}","category":{compact_json(cat)},"name":{compact_json(name)},'
                      f'"price":{pr}' + "}")
            fc.append(f'"product_id":"{pid}","category":{compact_json(cat)},"price":{pr}')
        viewed_props.append(fv)
        core_props.append(fc)
    # weighted candidate lists per (gender, age band, price level) x category
    terciles = {}
    for ci, cat in enumerate(CATEGORIES):
        for sub, *_ in SUBCATEGORIES[cat]:
            idx = [j for j in range(n_products) if cats[j] == ci and subs[j] == sub]
            ps = sorted(price_eur[j] for j in idx)
            if ps:
                terciles[(ci, sub)] = (ps[len(ps) // 3], ps[(2 * len(ps)) // 3])
    by_cat = [[j for j in range(n_products) if cats[j] == ci] for ci in range(len(CATEGORIES))]
    product_lists = []
    for gender in range(3):
        for age_band in range(3):
            for price_level in range(3):
                per_cat = []
                for ci, cat in enumerate(CATEGORIES):
                    lst = []
                    for j in by_cat[ci]:
                        t1, t2 = terciles[(ci, subs[j])]
                        lvl = 0 if price_eur[j] < t1 else (1 if price_eur[j] < t2 else 2)
                        w = subcategory_weight(cat, subs[j], gender, age_band) * (3.0 if lvl == price_level else 1.0)
                        lst.extend([j] * max(1, int(round(w * 2))))
                    if not lst:  # tiny catalogs: fall back to anything
                        lst = list(range(n_products))
                    per_cat.append(lst)
                product_lists.append(per_cat)
    new_by_cat = [[j for j in range(n_products) if cats[j] == ci and new[j]] for ci in range(len(CATEGORIES))]
    old_by_cat = [[j for j in range(n_products) if cats[j] == ci and not new[j]] or list(range(n_products))
                  for ci in range(len(CATEGORIES))]
    queries = []
    for cat in CATEGORIES:
        q = [cat.lower()]
        for sub, _, _, nouns in SUBCATEGORIES[cat]:
            q.append(sub.lower())
            q.extend(n.lower() for n in nouns)
        q.extend(b.lower() for b in BRANDS[cat])
        queries.append(q)
    cat_slug = [slug(c) for c in CATEGORIES]
    cat_url = [f"{SHOP_URL}/c/{sl}" for sl in cat_slug]
    return rows, Catalog(
        category_json=[compact_json(c) for c in CATEGORIES],
        category_slug=cat_slug,
        category_url=cat_url,
        category_page_props=[compact_json({"path": u[len(SHOP_URL):], "url": u, "title": c})
                             for u, c in zip(cat_url, CATEGORIES)],
        product_page_props=[compact_json({"path": u[len(SHOP_URL):], "url": u, "title": r[1]})
                            for u, r in zip(urls, rows)],
        product_list_props=[compact_json({"category": CATEGORIES[cats[j]],
                                          "list_id": f"{cat_slug[cats[j]]}-{slug(subs[j])}"})
                            for j in range(n_products)],
        product_ids=ids, product_category=cats, product_subcategory=subs, product_launch_ms=launch,
        product_is_new=new, product_price_cents=prices, product_viewed_props=viewed_props,
        product_core_props=core_props, product_url=urls, product_lists=product_lists,
        new_products_by_category=new_by_cat, older_products_by_category=old_by_cat, search_queries=queries,
    )
