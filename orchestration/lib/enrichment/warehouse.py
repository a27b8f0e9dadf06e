"""What enrichment reads from and writes to the DuckDB warehouse.

Consent and erasure decide whom enrichment may look at: an erased person is never enriched (nor sent to a
vendor, nor used to train or receive an inferred value); a suppressed person is never sent to a vendor
(offline reference data still describes them). Attribute tables are written as `enrichment.<table>` in the
long shape of LONG_COLUMNS with fixed column types.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import duckdb
import pandas as pd

from orchestration.lib.core import transaction
from orchestration.lib.enrichment.attribute_frames import LONG_COLUMNS

SCHEMA = "enrichment"

# the persons enrichment may look at: an erased person is never enriched (nor sent to a vendor)
PROFILES_SQL = """
select person_id, email, first_name, city, country, gender, is_suppressed
from marts.profiles_cleaned
where not is_erased
order by person_id
"""
# features of the persons of profiles_cleaned who are not erased (an erased person is never enriched)
FEATURES_SQL = """
select f.person_id, f.feature, f.value
from enrichment.enrichment_features as f
inner join enrichment.enrichment_labels as l on l.person_id = f.person_id and not l.is_erased
"""
LABELS_SQL = "select person_id, gender, age_band from enrichment.enrichment_labels where not is_erased"


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, prefix: str = "enrichment_frame"):
    """`frame` registered under a unique view name for the duration of the with-block (yields the name)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    con.register(name, frame)
    try:
        yield name
    finally:
        con.unregister(name)


def profiles_to_enrich(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The persons of marts.profiles_cleaned who are not erased, by person_id: person_id, email,
    first_name, city, country, gender, is_suppressed."""
    return con.execute(PROFILES_SQL).df()


def profiles_to_look_up(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The persons a vendor may be asked about: those of profiles_to_enrich who are not suppressed."""
    profiles = profiles_to_enrich(con)
    return profiles[~profiles["is_suppressed"].astype(bool)]


def inference_inputs(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(features, labels) of the persons who are not erased: the long behaviour features (person_id,
    feature, value) and the declared gender / age_band (NULL: not declared)."""
    return con.execute(FEATURES_SQL).df(), con.execute(LABELS_SQL).df()


def write_attributes(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    """Replace `enrichment.<table>` by the long attribute frame `frame` (LONG_COLUMNS), typed and sorted, in one
    transaction (the caller's, when one is open)."""
    with transaction(con), registered(con, frame[LONG_COLUMNS], "attributes_to_write") as view:
        con.execute(f"create schema if not exists {SCHEMA}")
        con.execute(f"""
            create or replace table {SCHEMA}.{table} as
            select cast(person_id as varchar) as person_id, cast(attribute as varchar) as attribute,
                   cast(value as varchar) as value, cast(confidence as double) as confidence,
                   cast(source as varchar) as source, cast(obtained_at as timestamp) as obtained_at
            from {view}
            order by person_id, attribute""")
