"""The long attribute frame every enrichment step produces: one row per person, attribute and value, with a
confidence in [0, 1], the source and when the value was obtained."""

from __future__ import annotations

import pandas as pd

LONG_COLUMNS = ["person_id", "attribute", "value", "confidence", "source", "obtained_at"]


def empty_attributes() -> pd.DataFrame:
    return pd.DataFrame({"person_id": pd.Series(dtype="string"), "attribute": pd.Series(dtype="string"),
                         "value": pd.Series(dtype="string"), "confidence": pd.Series(dtype="float64"),
                         "source": pd.Series(dtype="string"), "obtained_at": pd.Series(dtype="datetime64[us]")})


def counts_by_value(values: pd.Series) -> dict:
    """How often each value occurs, in value order (e.g. persons by lookup status)."""
    return {value: int(n) for value, n in values.value_counts().sort_index().items()}


def values_by_attribute(attributes: pd.DataFrame) -> dict[str, int]:
    """Rows per attribute of a long attribute frame, in attribute order."""
    return counts_by_value(attributes["attribute"])
