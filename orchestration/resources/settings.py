"""Run-level settings as a Dagster resource: landing folder, reports folder, the run's `as_of`."""


from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from orchestration.constants import AS_OF_TAG
from orchestration.lib.core import format_as_of, parse_as_of


class MicrosegResource(dg.ConfigurableResource):
    """Where inputs and reports live, and the one `as_of` instant of a run.

    `as_of` precedence: the run tag `microseg/as_of` (set by the CLI and schedules), then this
    resource's `as_of` (microseg.yml / MICROSEG_AS_OF / Launchpad run config), then the run's
    start time truncated to the second.
    """

    landing: str
    reports: str
    as_of: str = ""
    future_tolerance_hours: float = 24.0
    auto_merge_threshold: float = 0.95
    review_threshold: float = 0.60
    max_cluster_size: int = 8
    review: str = ""                    # folder of the review queue export and the decisions CSV
    scoring: str = ""                   # scoring.yml (weights, half-lives, tiers); empty: the defaults
    segment_max_change: float = 0.5
    segment_change_min_members: int = 20

    @property
    def landing_path(self) -> Path:
        return Path(self.landing)

    @property
    def review_path(self) -> Path:
        return Path(self.review) if self.review else self.reports_path.parent / "review"

    @property
    def reports_path(self) -> Path:
        return Path(self.reports)

    def as_of_for(self, context: dg.OpExecutionContext | dg.AssetExecutionContext) -> datetime:
        tag = context.run.tags.get(AS_OF_TAG)
        if tag:
            return parse_as_of(tag)
        if self.as_of:
            return parse_as_of(self.as_of)
        record = context.instance.get_run_record_by_id(context.run_id)
        started = record.create_timestamp if record else datetime.now(timezone.utc)
        return started.astimezone(timezone.utc).replace(microsecond=0)

    def as_of_text(self, context) -> str:
        return format_as_of(self.as_of_for(context))
