"""Settings declared once: a `Setting` per key, grouped by domain.

From these declarations come the validation of `microseg.yml` (errors name the file or env var and the
key), the `MICROSEG_<KEY>` env overrides, the fields of the Dagster resources (with their descriptions
in the Launchpad) and the configuration table of docs/configuration.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ENV_PREFIX = "MICROSEG_"


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message names the setting and where it came from."""


@dataclass(frozen=True)
class Setting:
    """One key of microseg.yml.

    kind: `path` (relative to microseg.yml's folder), `text`, `instant` (ISO-8601, checked), `number`,
    `integer`, `choice` (one of `choices`) or `mapping` (a nested block; from an env var, YAML/JSON text).
    `resource` / `field`: the Dagster resource field that carries it at run time (None: CLI and pipeline only).
    """

    name: str
    kind: str
    default: Any
    help: str
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    choices: tuple[str, ...] = ()
    resource: str | None = None
    field: str | None = None
    flag: str | None = None          # the CLI flag that overrides it, for the docs
    noun: str = "a number"           # what a bounded number is, in messages: "a probability", "a share"

    @property
    def env_var(self) -> str:
        return ENV_PREFIX + self.name.upper()

    @property
    def resource_field(self) -> str:
        return self.field or self.name

    @property
    def python_type(self) -> type:
        return {"path": Path, "number": float, "integer": int, "mapping": dict}.get(self.kind, str)

    def parse(self, raw: Any, origin: str) -> Any:
        """`raw` (from a file, an env var or a flag, named by `origin`) as this setting's value."""
        where = f"{origin}: {self.name}"
        if self.kind in ("path", "text", "instant", "choice"):
            value = "" if raw is None else str(raw).strip()
            if self.kind == "choice" and value not in self.choices:
                raise SettingsError(f"{where} must be one of {list(self.choices)}, got {value!r}")
            if self.kind == "instant" and value:
                from orchestration.lib.core.time import parse_as_of

                try:
                    parse_as_of(value)
                except SettingsError as exc:
                    raise SettingsError(f"{where}: {exc}") from exc
            return value
        if self.kind == "mapping":
            return _mapping(raw, where)
        kind = int if self.kind == "integer" else float
        try:
            value = kind(raw)
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"{where} must be {'an integer' if kind is int else 'a number'}, "
                                f"got {raw!r}") from exc
        if isinstance(value, float) and not math.isfinite(value):
            raise SettingsError(f"{where} must be a finite number, got {raw!r}")
        low_ok = self.minimum is None or (value > self.minimum if self.exclusive_minimum else value >= self.minimum)
        high_ok = self.maximum is None or value <= self.maximum
        if not (low_ok and high_ok):
            raise SettingsError(f"{where} must be {self.range_text()}, got {value}")
        return value

    def range_text(self) -> str:
        """The allowed values in words, as the error messages and the docs say them."""
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        if self.minimum is not None and self.maximum is not None:
            left = "(" if self.exclusive_minimum else "["
            return f"{self.noun} in {left}{_num(self.minimum)}, {_num(self.maximum)}]"
        if self.minimum is not None:
            return f"{'>' if self.exclusive_minimum else '>='} {_num(self.minimum)}"
        return ""


@dataclass(frozen=True)
class SettingsSchema:
    """The settings of one domain, and the checks that relate several of them (they raise SettingsError)."""

    domain: str
    settings: tuple[Setting, ...]
    # each check gets the parsed values and origin_of(name) -> where that value came from (file, env var, flag)
    checks: tuple[Callable[[dict, Callable[[str], str]], None], ...] = field(default_factory=tuple)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _mapping(raw: Any, where: str) -> dict:
    """A nested mapping setting; from an env var it is YAML/JSON text (MICROSEG_ENRICHMENT_HTTP='{...}')."""
    if raw in (None, ""):
        return {}
    if isinstance(raw, str):
        try:
            raw = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise SettingsError(f"{where} must be a mapping (YAML or JSON text in the env var): {exc}") from exc
    if not isinstance(raw, dict):
        raise SettingsError(f"{where} must be a mapping of settings, got {type(raw).__name__}")
    return dict(raw)


def docs_table(schemas: tuple[SettingsSchema, ...]) -> str:
    """The configuration reference (docs/configuration.md's tables), one table per domain."""
    out = []
    for schema in schemas:
        out += [f"### {schema.domain}", "",
                "| setting | env var | flag | Dagster resource | default | allowed | meaning |",
                "|---|---|---|---|---|---|---|"]
        for s in schema.settings:
            default = "" if s.default in (None, "", {}) else f"`{s.default}`"
            flag = f"`{s.flag}`" if s.flag else ""
            resource = f"`{s.resource}.{s.resource_field}`" if s.resource else ""
            out.append(f"| `{s.name}` | `{s.env_var}` | {flag} | {resource} | {default} | {s.range_text()} | "
                       f"{s.help.replace('|', '/')} |")
        out.append("")
    return "\n".join(out)
