"""Identity resolution's settings (microseg.yml): thresholds on the calibrated match probability, the cluster cap."""

from orchestration.lib.core.settings_schema import Setting, SettingsError, SettingsSchema


def _review_not_above_auto_merge(values: dict, origin_of) -> None:
    review, auto_merge = values["review_threshold"], values["auto_merge_threshold"]
    if review > auto_merge:
        raise SettingsError(f"{origin_of('review_threshold')}: review_threshold ({review}) must not be above auto_merge_threshold "
                            f"({auto_merge})")


IDENTITY_SETTINGS = SettingsSchema("identity", (
    Setting("auto_merge_threshold", "number", 0.95, "a pair at or above this match probability is merged",
            minimum=0, maximum=1, exclusive_minimum=True, noun="a probability", resource="microseg"),
    Setting("review_threshold", "number", 0.60,
            "pairs from here up to auto_merge_threshold go to the review queue; below: separate",
            minimum=0, maximum=1, exclusive_minimum=True, noun="a probability", resource="microseg"),
    Setting("max_cluster_size", "integer", 8, "a person is never built from more contact records than this",
            minimum=2, resource="microseg"),
    Setting("review", "path", "review", "review/queue.csv (the export) and review/decisions.csv (your decisions)",
            resource="microseg"),
), checks=(_review_not_above_auto_merge,))
