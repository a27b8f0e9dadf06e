"""Run-level settings as a Dagster resource: landing folder, reports, thresholds, the run's `as_of`.

Its fields are the settings declared with `resource="microseg"` in the domains' schemas (lib/*/settings.py).
"""

from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

from orchestration.constants import AS_OF_TAG
from orchestration.lib.core import format_as_of, parse_as_of
from orchestration.resources.settings_fields import settings_resource


class _RunSettings(dg.ConfigurableResource):
    """Where inputs and reports live, and the one `as_of` instant of a run.

    `as_of` precedence: the run tag `microseg/as_of` (set by the CLI and schedules), then this
    resource's `as_of` (microseg.yml / MICROSEG_AS_OF / Launchpad run config), then the run's
    start time truncated to the second.
    """

    @property
    def landing_path(self) -> Path:
        return Path(self.landing)

    @property
    def review_path(self) -> Path:
        """The review queue export and decisions CSV; empty: a `review` folder beside the reports folder."""
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

    def run_metadata(self, context) -> dict:
        """What every materialization and check of a run records: its as_of and the warehouse it wrote, so the
        UI never leaves a reader guessing which warehouse a number belongs to."""
        return {"as_of": self.as_of_text(context), "warehouse": self.warehouse}


MicrosegResource = settings_resource("MicrosegResource", _RunSettings, "microseg",
                                     {"__doc__": _RunSettings.__doc__, "__module__": __name__})
