"""Landing folders written by hand: a few exact lines per test (the contract's formats)."""

import gzip
import json
from pathlib import Path

CONTACT_HEADER = ("contact_id,email,first_name,last_name,phone,gender,birth_date,city,postal_code,country,"
                  "created_at,updated_at,email_opt_in,source")


def event(message_id, timestamp="2026-10-01T10:00:00Z", user_id=None, anonymous_id="anon-1",
          event_name="Product Viewed", type_="track", **props) -> dict:
    doc = {"type": type_, "messageId": message_id, "timestamp": timestamp}
    if type_ == "track":
        doc["event"] = event_name
    if user_id is not None:
        doc["userId"] = user_id
    if anonymous_id is not None:
        doc["anonymousId"] = anonymous_id
    doc["properties"] = props or {}
    return doc


class Landing:
    """Writes landing folders by hand: a few exact lines per test."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def events(self, day: str, lines: list, name: str = "events.jsonl") -> Path:
        path = self.root / "events" / day / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "".join((json.dumps(x) if isinstance(x, dict) else x) + "\n" for x in lines)
        if name.endswith(".gz"):
            path.write_bytes(gzip.compress(text.encode()))
        else:
            path.write_text(text, encoding="utf-8")
        return path

    def csv(self, rel: str, header: str, rows: list[str]) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(header + "\n" + "".join(r + "\n" for r in rows), encoding="utf-8")
        return path

    def contacts(self, rows: list[str], name: str = "contacts.csv") -> Path:
        return self.csv(f"crm/{name}", CONTACT_HEADER, rows)


def contact_row(contact_id, email="anna@example.com", opt_in="true", created="2026-01-01T00:00:00Z") -> str:
    return f"{contact_id},{email},Anna,Muster,,F,1990-05-01,Berlin,10115,DE,{created},{created},{opt_in},web"
