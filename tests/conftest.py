import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

import pytest

os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

CONTACT_HEADER = ("contact_id,email,first_name,last_name,phone,gender,birth_date,city,postal_code,country,"
                  "created_at,updated_at,email_opt_in,source")


DBT = str(Path(sys.executable).with_name("dbt"))


def run_dbt(root: Path, warehouse: Path, args: list[str], dbt_vars: dict | None = None) -> str:
    """The repo's dbt project on `warehouse` (absolute), with its own target/ and logs/ under `root` (not the
    shared target/); fails the test with dbt's output unless it succeeds. Returns dbt's stdout."""
    from orchestration.constants import DBT_PROJECT_DIR

    env = dict(os.environ, MICROSEG_WAREHOUSE=str(warehouse), MICROSEG_DUCKDB_MEMORY_LIMIT="1GB")
    var_args = ["--vars", json.dumps(dbt_vars)] if dbt_vars is not None else []
    proc = subprocess.run(
        [DBT, *args, *var_args, "--profiles-dir", ".", "--target-path", str(root / "target"),
         "--log-path", str(root / "logs")],
        cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    return proc.stdout


def rows(warehouse: Path, sql: str) -> list[dict]:
    """The rows of a query on a warehouse file, as dicts."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest():
    """prepare_if_dev() is a no-op outside `dagster dev`: build the manifest once per session."""
    from orchestration.project import dbt_project

    if not dbt_project.manifest_path.exists():
        dbt_project.preparer.prepare(dbt_project)


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


@pytest.fixture
def landing(tmp_path) -> Landing:
    return Landing(tmp_path / "landing")


@pytest.fixture
def warehouse(tmp_path) -> Path:
    return tmp_path / "warehouse.duckdb"
