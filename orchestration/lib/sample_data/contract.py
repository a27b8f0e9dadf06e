"""The landing folder's contract as the generator writes it: injected defect rates, other rates, event names,
file columns, and the stats every run reports (see the generator's module docstring for what each rate means).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

import numpy as np

DEFAULT_AS_OF = datetime(2026, 11, 1, tzinfo=timezone.utc)

# ------------------------------------------------------------------------- injected rates
MALFORMED_JSON_RATE = 0.0010
MISSING_MESSAGE_ID_RATE = 0.0010
MISSING_TIMESTAMP_RATE = 0.0008
BAD_TIMESTAMP_RATE = 0.0010
MISSING_IDENTITY_RATE = 0.0008
FUTURE_TIMESTAMP_RATE = 0.0005
NEAR_FUTURE_RATE = 0.0005
REDELIVERED_RATE = 0.010
LATE_SESSION_RATE = 0.0125
UNKNOWN_EVENT_RATE = 0.0065  # chance of an extra unknown event at each eligible point of a session

# --------------------------------------------------------------------------- other rates
ANONYMOUS_VISITOR_RATE = 0.10  # never-identified visitors, relative to CRM persons
DUPLICATE_PERSON_RATE = 0.09  # CRM persons with 2-3 contact rows
HISTORICAL_SUPPRESSION_RATE = 0.025  # mailable emails suppressed before the window
ROLE_ADDRESS_RATE = 0.005
POS_ORDER_RATE = 0.0015  # in-window store orders per CRM person-day (active persons)
POS_UNATTRIBUTED_SHARE = 0.06  # store orders naming neither a contact nor an email

QUARANTINE_REASONS = (
    "malformed_json",
    "missing_message_id",
    "missing_timestamp",
    "bad_timestamp",
    "missing_identity",
    "future_timestamp",
)
DEFECT_RATES = (  # in the order of QUARANTINE_REASONS
    MALFORMED_JSON_RATE,
    MISSING_MESSAGE_ID_RATE,
    MISSING_TIMESTAMP_RATE,
    BAD_TIMESTAMP_RATE,
    MISSING_IDENTITY_RATE,
    FUTURE_TIMESTAMP_RATE,
)

# one uniform draw per line picks its defect: u < CUMULATIVE_DEFECT_RATES[k] -> quarantine reason k; else
# u < NEAR_FUTURE_CUTOFF -> near_future
CUMULATIVE_DEFECT_RATES = np.cumsum(DEFECT_RATES)
NEAR_FUTURE_CUTOFF = float(CUMULATIVE_DEFECT_RATES[-1]) + NEAR_FUTURE_RATE

RATES: dict[str, float] = {
    "malformed_json": MALFORMED_JSON_RATE,
    "missing_message_id": MISSING_MESSAGE_ID_RATE,
    "missing_timestamp": MISSING_TIMESTAMP_RATE,
    "bad_timestamp": BAD_TIMESTAMP_RATE,
    "missing_identity": MISSING_IDENTITY_RATE,
    "future_timestamp": FUTURE_TIMESTAMP_RATE,
    "near_future": NEAR_FUTURE_RATE,
    "redelivered": REDELIVERED_RATE,
    "late_session": LATE_SESSION_RATE,
    "unknown_event": UNKNOWN_EVENT_RATE,
    "anonymous_visitor": ANONYMOUS_VISITOR_RATE,
    "duplicate_person": DUPLICATE_PERSON_RATE,
    "historical_suppression": HISTORICAL_SUPPRESSION_RATE,
    "role_address": ROLE_ADDRESS_RATE,
    "pos_order_per_person_day": POS_ORDER_RATE,
    "pos_unattributed_share": POS_UNATTRIBUTED_SHARE,
}

CONTRACT_EVENTS = frozenset(
    {
        "Product Viewed",
        "Product List Viewed",
        "Products Searched",
        "Product Added",
        "Product Removed",
        "Cart Viewed",
        "Checkout Started",
        "Order Completed",
        "Signed Up",
        "Signed In",
        "Video Playback Started",
        "Email Delivered",
        "Email Opened",
        "Email Link Clicked",
        "Email Bounced",
        "Email Marked as Spam",
        "Unsubscribed",
    }
)

CONTACT_COLUMNS = (
    "contact_id", "email", "first_name", "last_name", "phone", "gender", "birth_date", "city",
    "postal_code", "country", "created_at", "updated_at", "email_opt_in", "source",
)
ORDER_COLUMNS = ("order_id", "contact_id", "email", "ordered_at", "status", "currency", "total")
ORDER_ITEM_COLUMNS = ("order_id", "product_id", "quantity", "unit_price")
PRODUCT_COLUMNS = (
    "product_id", "name", "category", "subcategory", "price", "is_new_arrival", "launched_at",
    "url", "image_url",
)
SUPPRESSION_COLUMNS = ("email", "reason", "at")
GROUND_TRUTH_CONTACT_COLUMNS = ("contact_id", "person_id")
GROUND_TRUTH_DEVICE_COLUMNS = ("anonymous_id", "person_id")
GROUND_TRUTH_PERSON_COLUMNS = (
    "person_id", "gender", "birth_date", "city", "country", "preferred_category", "lifecycle",
)


@dataclass
class GenerationStats:
    """What one `generate` run wrote (the manifest holds the same, without `seconds`)."""

    persons: int = 0
    contacts: int = 0
    duplicate_contacts: int = 0
    devices: int = 0
    products: int = 0
    orders: int = 0
    order_items: int = 0
    unattributed_orders: int = 0
    suppressed: int = 0
    event_lines: int = 0
    valid_events: int = 0
    redelivered: int = 0
    late: int = 0
    near_future: int = 0
    unknown_event: int = 0
    quarantine: dict[str, int] = field(default_factory=lambda: {r: 0 for r in QUARANTINE_REASONS})
    day_folders: int = 0
    files: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["quarantine"] = {r: int(self.quarantine.get(r, 0)) for r in QUARANTINE_REASONS}
        return d
