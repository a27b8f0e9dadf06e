"""Behavior scoring settings: load and validate `scoring.yml`, and turn it into the dbt `--vars` of a run.

The dbt models of group `scoring` (dbt_project/models/marts/scoring/) read two vars:
  as_of    the run's instant, ISO-8601 text in UTC ('2026-11-01T00:00:00Z')
  scoring  the validated settings below, every key present (defaults filled in)
`dbt_project.yml` holds the same defaults as the var `scoring_defaults` (so `dbt parse` and a bare `dbt build`
work); the macro `scoring_setting` reads `scoring` first and falls back to them key by key.

Rules: a section or key left out takes its default; a `weights` map that is written replaces the default map
whole (an event it does not list weighs 0). Unknown keys are errors, naming the known ones.
"""

from __future__ import annotations

import copy
import math
from datetime import datetime, timezone
from pathlib import Path

from orchestration.lib.core import REPO_ROOT, SettingsError, YamlFileError, format_as_of, load_yaml, parse_as_of

DEFAULT_PATH = REPO_ROOT / "scoring.yml"

# The tiers, in the order they are evaluated (the first that matches wins); `casual` is everyone else.
TIER_ORDER = ("highly_engaged", "potential_buyer", "new", "dormant", "at_risk", "casual")

DEFAULTS: dict = {
    "engagement": {
        "half_life_days": 14.0,
        "scale": 20.0,
        "weights": {
            "Page Viewed": 0.5,           # page events (event_type 'page') weigh under this name
            "Product List Viewed": 0.5,
            "Product Viewed": 1.0,
            "Products Searched": 1.0,
            "Video Playback Started": 1.0,
            "Signed In": 1.0,
            "Cart Viewed": 2.0,
            "Product Added": 5.0,
            "Checkout Started": 8.0,
            "Order Completed": 10.0,      # counted once per purchase (person_orders), not per event
            "Email Opened": 1.0,
            "Email Link Clicked": 3.0,
        },
    },
    "intent": {
        "window_days": 14.0,
        "half_life_days": 3.0,
        "scale": 10.0,
        "weights": {
            "Product Viewed": 1.0,
            "Cart Viewed": 2.0,
            "Product Added": 4.0,
            "Checkout Started": 6.0,
        },
    },
    "affinity": {
        "half_life_days": 30.0,
        "scale": 10.0,
    },
    "sessions": {
        "gap_minutes": 30.0,
    },
    "tiers": {
        "highly_engaged": {"min_engagement": 70.0},
        "potential_buyer": {"min_intent": 50.0, "no_order_days": 30.0},
        "new": {"first_seen_days": 30.0},
        "dormant": {"inactive_days": 180.0},
        "at_risk": {"inactive_days": 60.0},
    },
}

# key -> kind: "positive" (> 0), "score" (0..100), "weights" (event name -> number >= 0), or a nested schema
_POSITIVE, _SCORE, _WEIGHTS = "positive", "score", "weights"
SCHEMA: dict = {
    "engagement": {"half_life_days": _POSITIVE, "scale": _POSITIVE, "weights": _WEIGHTS},
    "intent": {"window_days": _POSITIVE, "half_life_days": _POSITIVE, "scale": _POSITIVE, "weights": _WEIGHTS},
    "affinity": {"half_life_days": _POSITIVE, "scale": _POSITIVE},
    "sessions": {"gap_minutes": _POSITIVE},
    "tiers": {
        "highly_engaged": {"min_engagement": _SCORE},
        "potential_buyer": {"min_intent": _SCORE, "no_order_days": _POSITIVE},
        "new": {"first_seen_days": _POSITIVE},
        "dormant": {"inactive_days": _POSITIVE},
        "at_risk": {"inactive_days": _POSITIVE},
    },
}


class ScoringError(SettingsError):
    """scoring.yml (or a scoring dict) has a value we cannot use; the message names the file and the key."""


def load_scoring(path: str | Path = DEFAULT_PATH) -> dict:
    """Read and validate a scoring settings file; returns every setting, defaults filled in."""
    try:
        loaded = load_yaml(path)
    except YamlFileError as exc:
        raise ScoringError(str(exc)) from exc
    return validate_scoring({} if loaded is None else loaded, source=str(path))


def validate_scoring(raw, source: str = "scoring.yml") -> dict:
    """Validate a scoring mapping (as read from YAML) against SCHEMA; returns it complete, numbers as floats."""
    result = _section(raw, SCHEMA, DEFAULTS, source, ())
    tiers = result["tiers"]
    at_risk, dormant = tiers["at_risk"]["inactive_days"], tiers["dormant"]["inactive_days"]
    if at_risk >= dormant:
        raise ScoringError(
            f"{source}: tiers.at_risk.inactive_days ({at_risk:g}) must be below tiers.dormant.inactive_days "
            f"({dormant:g}): dormant is tested first, so at_risk could never match")
    return result


def dbt_vars(scoring: dict, as_of: str | datetime) -> dict:
    """The dbt `--vars` of a scoring run: {"as_of": "<UTC ISO-8601>", "scoring": {<every setting>}}."""
    if isinstance(as_of, datetime):     # a naive datetime is UTC, as a text without offset is
        instant = as_of if as_of.tzinfo else as_of.replace(tzinfo=timezone.utc)
    else:
        try:
            instant = parse_as_of(str(as_of))
        except SettingsError as exc:
            raise ScoringError(str(exc)) from exc
    return {"as_of": format_as_of(instant), "scoring": validate_scoring(scoring, source="scoring settings")}


def _where(source: str, path: tuple) -> str:
    return f"{source}: {'.'.join(path)}" if path else source


def _section(raw, schema: dict, defaults: dict, source: str, path: tuple) -> dict:
    if not isinstance(raw, dict):
        raise ScoringError(f"{_where(source, path)}: expected a mapping with keys {', '.join(schema)}, "
                           f"got {_show(raw)}")
    unknown = [k for k in raw if k not in schema]
    if unknown:
        raise ScoringError(f"{_where(source, path)}: unknown key {unknown[0]!r}; known: {', '.join(schema)}")
    result = {}
    for key, kind in schema.items():
        where = path + (key,)
        if key not in raw:
            result[key] = copy.deepcopy(defaults[key])
        elif isinstance(kind, dict):
            result[key] = _section(raw[key], kind, defaults[key], source, where)
        elif kind == _WEIGHTS:
            result[key] = _weights(raw[key], source, where)
        else:
            result[key] = _number(raw[key], kind, source, where)
    return result


def _weights(raw, source: str, path: tuple) -> dict:
    if not isinstance(raw, dict):
        raise ScoringError(f"{_where(source, path)}: expected a mapping of event name -> weight, got {_show(raw)}")
    weights = {}
    for name, value in raw.items():
        if not isinstance(name, str) or not name.strip():
            raise ScoringError(f"{_where(source, path)}: event names must be non-empty text, got {name!r}")
        weights[name] = _number(value, "non_negative", source, path + (name,))
    return dict(sorted(weights.items()))


def _number(value, kind: str, source: str, path: tuple) -> float:
    where = _where(source, path)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScoringError(f"{where}: expected a number, got {_show(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise ScoringError(f"{where}: expected a finite number, got {value!r}")
    if kind == _POSITIVE and number <= 0:
        raise ScoringError(f"{where}: must be greater than 0, got {value!r}")
    if kind == "non_negative" and number < 0:
        raise ScoringError(f"{where}: must be 0 or more, got {value!r}")
    if kind == _SCORE and not 0 <= number <= 100:
        raise ScoringError(f"{where}: must be between 0 and 100, got {value!r}")
    return number


def _show(value) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, (dict, list)):
        return f"a {type(value).__name__}"
    return repr(value)
