"""HTTP enrichment client throughput against the local test server (tests/helpers/enrichment_server.py).

`python -m benchmarks.enrichment_http [N_LOOKUPS] [CONCURRENCY]` (defaults 2000 and 8). The server adds
BENCH_ENRICH_LATENCY (5 ms) to every request; half of the emails are known people. Three runs of our client
(orchestration/lib/enrichment/http/), rate limit off: concurrency 1 (the baseline, same process), concurrency
CONCURRENCY, and CONCURRENCY with 10% injected 503s (seeded; backoff_base 10 ms) reporting the retries.
Prints JSON and writes bench_out/enrichment_http_results.json. No target is asserted: with a 5 ms server the
ideal speed-up is close to CONCURRENCY; a ratio far below it means the client serialises somewhere.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from orchestration.lib.enrichment import HttpPersonLookup, HttpProviderConfig  # noqa: E402
from orchestration.resources.enrichment import api_key_from_env
from tests.helpers.enrichment_server import EnrichmentServer  # noqa: E402

OUT = Path(os.environ.get("BENCH_OUT", "bench_out")).resolve()
LATENCY = float(os.environ.get("BENCH_ENRICH_LATENCY", "0.005"))
ENV = "MICROSEG_BENCH_ENRICHMENT_KEY"


def _one(server: EnrichmentServer, emails: list[str], concurrency: int, **kw) -> dict:
    cfg = HttpProviderConfig(server.base_url, api_key_env=ENV, rate_limit=0, concurrency=concurrency,
                             **{"backoff_base": 0.01, "backoff_max": 0.1, "max_retries": 6,
                                "breaker_threshold": 1000, **kw})
    lookup = HttpPersonLookup(cfg, api_key=api_key_from_env(cfg), rng=random.Random(0))
    server.reset_log()
    started = time.perf_counter()
    report = lookup.lookup_many(emails)
    elapsed = time.perf_counter() - started
    return {
        "concurrency": concurrency,
        "lookups": len(report.outcomes),
        "seconds": round(elapsed, 3),
        "lookups_per_s": round(len(report.outcomes) / elapsed, 1),
        "calls": report.calls,
        "retries": report.retries,
        "found": report.found,
        "unknown": report.unknown,
        "failed": report.failed,
        "failures_by_reason": report.failures_by_reason,
        "server_max_in_flight": server.max_in_flight,
    }


def run(n_lookups: int = 2000, concurrency: int = 8) -> dict:
    emails = [f"bench{i}@example.com" for i in range(n_lookups)]
    previous = os.environ.get(ENV)
    os.environ[ENV] = "bench-key"
    try:
        with EnrichmentServer(api_key="bench-key", latency=LATENCY) as server:
            for i, email in enumerate(emails):
                if i % 2 == 0:
                    server.add(email, {"gender": "female" if i % 4 else "male",
                                       "geo": {"city": "Berlin", "country": "DE"},
                                       "employment": {"name": f"Company {i % 97}", "title": "Buyer"},
                                       "age_range": "25-34", "confidence": 0.8})
            _one(server, emails[: min(50, n_lookups)], concurrency)        # warm up
            baseline = _one(server, emails, 1)
            parallel = _one(server, emails, concurrency)
            server.random_faults(0.10, 503, seed=42)
            faults = _one(server, emails, concurrency)
            server.random_faults(0, 503)
    finally:
        if previous is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = previous
    return {
        "n_lookups": n_lookups,
        "server_latency_ms": LATENCY * 1000,
        "baseline_c1": baseline,
        f"parallel_c{concurrency}": parallel,
        "speedup": round(parallel["lookups_per_s"] / baseline["lookups_per_s"], 2),
        f"faults_10pct_503_c{concurrency}": faults,
    }


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    c = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    results = run(n, c)
    text = json.dumps(results, indent=2)
    print(text)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "enrichment_http_results.json").write_text(text + "\n", encoding="utf-8")
