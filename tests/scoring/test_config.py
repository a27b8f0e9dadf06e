import json
from datetime import datetime, timezone

import pytest
import yaml

from orchestration.constants import DBT_PROJECT_DIR
from orchestration.lib.core.settings import SettingsError
from orchestration.lib.scoring.config import (
    DEFAULT_PATH,
    DEFAULTS,
    ScoringError,
    dbt_vars,
    load_scoring,
    validate_scoring,
)

AS_OF = "2026-11-01T00:00:00Z"


def write(tmp_path, text: str):
    path = tmp_path / "scoring.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_scoring_shipped_file_is_valid_and_complete():
    scoring = load_scoring(DEFAULT_PATH)
    assert set(scoring) == set(DEFAULTS)
    assert scoring["engagement"]["weights"]["Product Viewed"] == 1.0


def test_load_scoring_empty_file_gives_the_defaults(tmp_path):
    assert load_scoring(write(tmp_path, "# nothing changed\n")) == DEFAULTS


def test_load_scoring_missing_keys_default_and_written_weights_replace_the_map(tmp_path):
    scoring = load_scoring(write(tmp_path, "engagement:\n  half_life_days: 7\n  weights: {Product Viewed: 2}\n"))
    assert scoring["engagement"] == {"half_life_days": 7.0, "scale": DEFAULTS["engagement"]["scale"],
                                     "weights": {"Product Viewed": 2.0}}       # the other events now weigh 0
    assert scoring["intent"] == DEFAULTS["intent"] and scoring["tiers"] == DEFAULTS["tiers"]


def test_load_scoring_returns_numbers_as_floats_and_weights_sorted(tmp_path):
    scoring = load_scoring(write(tmp_path, "intent:\n  weights: {Product Viewed: 1, Cart Viewed: 2}\n"
                                           "tiers:\n  new: {first_seen_days: 14}\n"))
    assert list(scoring["intent"]["weights"].items()) == [("Cart Viewed", 2.0), ("Product Viewed", 1.0)]
    assert scoring["tiers"]["new"]["first_seen_days"] == 14.0
    assert isinstance(scoring["tiers"]["new"]["first_seen_days"], float)


@pytest.mark.parametrize("text, message", [
    ("engagement:\n  weights:\n    Product Viewed: high\n",
     "scoring.yml: engagement.weights.Product Viewed: expected a number, got 'high'"),
    ("engagment: {}\n",
     "scoring.yml: unknown key 'engagment'; known: engagement, intent, affinity, sessions, tiers"),
    ("engagement: {halflife: 3}\n",
     "scoring.yml: engagement: unknown key 'halflife'; known: half_life_days, scale, weights"),
    ("tiers: {potential_buyer: {min_intnet: 40}}\n",
     "scoring.yml: tiers.potential_buyer: unknown key 'min_intnet'; known: min_intent, no_order_days"),
    ("tiers: {vip: {}}\n",
     "scoring.yml: tiers: unknown key 'vip'; known: highly_engaged, potential_buyer, new, dormant, at_risk"),
    ("engagement: {half_life_days: 0}\n", "scoring.yml: engagement.half_life_days: must be greater than 0, got 0"),
    ("engagement: {scale: true}\n", "scoring.yml: engagement.scale: expected a number, got True"),
    ("sessions: {gap_minutes: '30'}\n", "scoring.yml: sessions.gap_minutes: expected a number, got '30'"),
    ("affinity: {scale: .nan}\n", "scoring.yml: affinity.scale: expected a finite number, got nan"),
    ("tiers: {highly_engaged: {min_engagement: 120}}\n",
     "scoring.yml: tiers.highly_engaged.min_engagement: must be between 0 and 100, got 120"),
    ("intent: {weights: {Product Added: -1}}\n", "scoring.yml: intent.weights.Product Added: must be 0 or more, got -1"),
    ("intent: {weights: [Product Added]}\n",
     "scoring.yml: intent.weights: expected a mapping of event name -> weight, got a list"),
    ("intent: {weights: null}\n",
     "scoring.yml: intent.weights: expected a mapping of event name -> weight, got nothing (null)"),
    ("engagement: {weights: {1: 2}}\n", "scoring.yml: engagement.weights: event names must be non-empty text, got 1"),
    ("engagement: 3\n", "scoring.yml: engagement: expected a mapping with keys half_life_days, scale, weights, got 3"),
    ("- engagement\n", "scoring.yml: expected a mapping with keys engagement, intent, affinity, sessions, tiers, "
                       "got a list"),
    ("tiers: {at_risk: {inactive_days: 200}}\n",
     "scoring.yml: tiers.at_risk.inactive_days (200) must be below tiers.dormant.inactive_days (180)"),
    ("engagement: [\n", "scoring.yml: not valid YAML"),
])
def test_load_scoring_rejects_bad_values_naming_file_and_key(tmp_path, text, message):
    with pytest.raises(ScoringError) as exc:
        load_scoring(write(tmp_path, text))
    assert message in str(exc.value).replace(str(tmp_path) + "/", ""), str(exc.value)


def test_load_scoring_missing_file_names_it(tmp_path):
    with pytest.raises(ScoringError, match="nope.yml: no such file"):
        load_scoring(tmp_path / "nope.yml")


def test_scoring_error_is_a_settings_error():
    assert issubclass(ScoringError, SettingsError)


@pytest.mark.parametrize("as_of, expected", [
    ("2026-11-01T00:00:00Z", "2026-11-01T00:00:00Z"),
    ("2026-11-01T02:00:00+02:00", "2026-11-01T00:00:00Z"),
    ("2026-11-01", "2026-11-01T00:00:00Z"),
    (datetime(2026, 11, 1), "2026-11-01T00:00:00Z"),                        # naive = UTC
    (datetime(2026, 11, 1, 1, tzinfo=timezone.utc), "2026-11-01T01:00:00Z"),
])
def test_dbt_vars_normalises_as_of_to_utc(as_of, expected):
    assert dbt_vars(DEFAULTS, as_of)["as_of"] == expected


def test_dbt_vars_shape_is_as_of_and_every_setting_json_ready(tmp_path):
    scoring = load_scoring(write(tmp_path, "engagement: {half_life_days: 7}\n"))
    result = dbt_vars(scoring, AS_OF)
    assert set(result) == {"as_of", "scoring"}
    assert set(result["scoring"]) == {"engagement", "intent", "affinity", "sessions", "tiers"}
    assert result["scoring"]["engagement"]["half_life_days"] == 7.0
    assert json.loads(json.dumps(result)) == result                          # passed as --vars '<json>'


def test_dbt_vars_validates_a_hand_built_dict_and_the_as_of():
    with pytest.raises(ScoringError, match=r"scoring settings: engagement.scale: must be greater than 0"):
        dbt_vars({"engagement": {"scale": -1}}, AS_OF)
    with pytest.raises(ScoringError, match="next tuesday"):
        dbt_vars(DEFAULTS, "next tuesday")


def test_validate_scoring_is_idempotent():
    assert validate_scoring(validate_scoring({})) == DEFAULTS


def test_dbt_project_default_vars_match_the_python_defaults():
    """dbt_project.yml's `scoring_defaults` (what the models fall back to) must equal DEFAULTS."""
    project = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    assert project["vars"]["scoring_defaults"] == DEFAULTS
    assert dbt_vars(DEFAULTS, project["vars"]["as_of"])["as_of"] == project["vars"]["as_of"]
