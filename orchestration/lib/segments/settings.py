"""The segments' settings (microseg.yml): where the definitions are, and the activation gate's limits."""

from orchestration.lib.core.settings_schema import Setting, SettingsSchema

SEGMENTS_SETTINGS = SettingsSchema("segments", (
    Setting("segments", "path", "segments", "the folder of segment YAML files (docs/segments.md)"),
    Setting("segment_max_change", "number", 0.5,
            "the activation gate fails a segment whose size moved by more than this share since the last run",
            minimum=0, exclusive_minimum=True, resource="microseg"),
    Setting("segment_change_min_members", "integer", 20,
            "... unless it had fewer members than this, before and now", minimum=0, resource="microseg"),
))
