"""Resource fields from the settings schema: a setting declared once in lib/ becomes a typed, described
field of the Dagster resource that carries it (and so a Launchpad config key), with no second list."""

from __future__ import annotations

from typing import Any

import pydantic

from orchestration.lib.core import Settings, all_schemas


def _field_type(kind: str) -> type:
    return {"number": float, "integer": int, "mapping": dict[str, Any]}.get(kind, str)


def settings_resource(name: str, base: type, resource: str, namespace: dict) -> type:
    """A subclass of `base` (a ConfigurableResource) with one field per setting whose `resource` is
    `resource`. Path settings are text here; an empty path means the resource's own default (its methods
    say which)."""
    annotations: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    for schema in all_schemas():
        for setting in schema.settings:
            if setting.resource != resource:
                continue
            annotations[setting.resource_field] = _field_type(setting.kind)
            default = "" if setting.kind == "path" else setting.default
            fields[setting.resource_field] = (
                pydantic.Field(default_factory=dict, description=setting.help) if setting.kind == "mapping"
                else pydantic.Field(default=default, description=f"{setting.help} (microseg.yml `{setting.name}`, "
                                                               f"env {setting.env_var})"))
    return type(name, (base,), {"__annotations__": annotations, **fields, **namespace,
                                "__module__": namespace.get("__module__", base.__module__)})


def resource_values(settings: Settings, resource: str) -> dict:
    """The constructor arguments of resource `resource` from resolved settings."""
    values = {}
    for schema in all_schemas():
        for setting in schema.settings:
            if setting.resource == resource:
                value = getattr(settings, setting.name)
                values[setting.resource_field] = str(value) if setting.kind == "path" else value
    return values
