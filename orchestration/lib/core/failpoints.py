"""Failpoints: named places inside a step's open transaction where a test has the process killed, to prove
that a killed run leaves every table as it was before the step or as it is after it, never half.

Set MICROSEG_FAILPOINT to a name of FAILPOINTS (or several, comma-separated) and the process kills itself with
SIGKILL when it gets there: nothing is cleaned up, no handler runs, as when the machine loses power. Unset (always,
outside such tests), a failpoint is one environment lookup.
"""

from __future__ import annotations

import os
import signal

ENV_VAR = "MICROSEG_FAILPOINT"

FAILPOINTS = (
    ("ingest.events", "raw/events: a batch of received days inserted into raw.events, the step not committed"),
    ("ingest.tables", "raw/<table>: raw.<table> rebuilt, its quarantine rows not yet written, nothing committed"),
    ("dbt.build", "a dbt step: its first model built, the others still building in the dbt process, which the "
                  "kill orphans (it finishes its command; the next run waits for it to let go of the file)"),
    ("identity.map", "identity/identity_map: decisions, ledger, review queue and identity map written, the "
                     "clusters not yet, nothing committed"),
    ("segments.history", "segments/<name>: the membership at as_of replaced, the history not yet moved, nothing "
                         "committed"),
    ("erasure.purge", "erasure/tombstones: a person's rows deleted from every table, no tombstone, status or file "
                      "written, nothing committed"),
)
NAMES = frozenset(name for name, _ in FAILPOINTS)


def failpoint(name: str) -> None:
    """Kill this process with SIGKILL when MICROSEG_FAILPOINT names `name`; otherwise do nothing."""
    armed = os.environ.get(ENV_VAR)
    if armed and name in (part.strip() for part in armed.split(",")):
        os.kill(os.getpid(), signal.SIGKILL)
