"""Reference tables of the web shop's traffic: its URL, user agents, IP ranges, paid campaigns, the hours people
browse at, event names outside the contract and unparsable timestamps.

Pure data. Order matters: the generator draws by index.
"""

from __future__ import annotations

SHOP_URL = "https://shop.example.com"

# user agents by device kind
USER_AGENTS = {
    "desktop": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
    ),
    "mobile": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Mobile Safari/537.36",
        "ShopApp/4.12.0 (iPhone; iOS 18.0; Scale/3.00)",
        "ShopApp/4.11.2 (Android 14; Pixel 7)",
    ),
    "tablet": (
        "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36",
    ),
}
IP_PREFIXES = ("192.0.2.", "198.51.100.", "203.0.113.")  # the documentation ranges (RFC 5737)
# (utm_source, utm_medium, utm_campaign) of paid traffic landing on the home page
PAID_CAMPAIGNS = (
    ("google", "cpc", "brand_search"), ("google", "cpc", "generic_search"), ("facebook", "paid_social", "autumn_sale"),
    ("instagram", "social", "new_arrivals"), ("tiktok", "paid_social", "creator_collab"), ("bing", "cpc", "brand_search"),
    ("partner_blog", "affiliate", "gift_guide"),
)
# what a `bad_timestamp` line carries
BAD_TIMESTAMPS = (
    "yesterday", "2026-13-45T25:00:00Z", "12/10/2026", "10/12/2026 14:03:22", "not-a-date", "2026-10-32T10:00:00Z",
    "0000-00-00T00:00:00Z", "NaN", "last tuesday", "2026-02-30T12:00:00Z", "31.10.2026 18:22",
)
# track events outside the contract's table, by where in a session they happen
UNKNOWN_PRODUCT_EVENTS = ("Wishlist Item Added", "Product Shared", "Product Reviewed", "Size Guide Viewed")
UNKNOWN_CART_EVENTS = ("Coupon Applied", "Coupon Denied", "Shipping Info Entered")
UNKNOWN_OTHER_EVENTS = ("Newsletter Form Viewed", "Store Locator Used", "Chat Started", "Push Notification Opened")
# how sessions spread over the local hours 0..23
LOCAL_HOUR_WEIGHTS = (0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 1.4, 1.5, 1.6, 1.8, 2.2, 2.0, 1.7, 1.6, 1.7, 2.0,
                      2.4, 2.8, 3.0, 2.6, 1.8, 0.9)
