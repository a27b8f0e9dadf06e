"""Schedules: the daily refresh, with the scheduled instant as the run's as_of."""

import dagster as dg

from orchestration.constants import AS_OF_TAG
from orchestration.jobs import REFRESH_JOB
from orchestration.lib.core import format_as_of


@dg.schedule(job_name=REFRESH_JOB, cron_schedule="0 6 * * *", execution_timezone="UTC",
             default_status=dg.DefaultScheduleStatus.STOPPED)
def daily_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """Every day at 06:00 UTC: refresh everything with as_of = the scheduled time."""
    return dg.RunRequest(tags={AS_OF_TAG: format_as_of(context.scheduled_execution_time)})


ALL_SCHEDULES = [daily_refresh]
