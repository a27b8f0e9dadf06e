"""Names shared by assets, checks, jobs and the CLI."""

from orchestration.lib.core import REPO_ROOT

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
SUITES_DIR = EXPECTATIONS_DIR / "gx" / "expectations"

AS_OF_TAG = "microseg/as_of"          # run tag: the one as_of instant of a run
FULL_REFRESH_TAG = "microseg/full_refresh"   # run tag "true": dbt's incremental models rebuilt from all of raw
RECEIVED_DAYS = "received_days"       # dynamic partitions of raw/events: one per landing folder day

GROUP_INGEST = "ingest"
GROUP_STAGING = "staging"
GROUP_IDENTITY = "identity"
GROUP_ERASURE = "erasure"
GROUP_ENRICHMENT = "enrichment"
GROUP_SCORING = "scoring"
GROUP_SEGMENTS = "segments"
GROUP_REPORTING = "reporting"
DUCKDB_POOL = "duckdb"                # every DuckDB writer runs in this pool (single writer)
OWNERS = ["team:data-platform"]       # owners of the assets
