"""The match configuration: which fields are compared how, the blocking keys, thresholds, safeguards.

One YAML file per table to deduplicate (`microseg dedupe --config match.yml`); the pipeline builds
the same object for CRM contacts (`lib/identity/identity_map.py`). Every error names the file, the path inside it
and what was expected, e.g. ``match.yml: fields[2].comparator: unknown comparator 'jaro'; expected
one of: date, email, exact, jaro_winkler, levenshtein, phone, token_set``.

```yaml
id: rec_id                    # the id column (unique per record)
link_across: source           # optional: only pairs whose `source` differs (linking two files)
normalize: contacts           # optional: apply the CRM contact normalizers first (lib/identity/normalize/)
fields:                       # one comparison = one piece of evidence in the Fellegi-Sunter model
  - name: given_name          # defaults to the column
    column: given_name
    comparator: jaro_winkler  # exact | jaro_winkler | levenshtein | token_set | date | email | phone
    levels: [0.92, 0.80]      # similarity cut-offs, high to low (defaults per comparator)
    swap_with: surname        # given name and surname entered the wrong way round still agree
  - name: location
    columns: [suburb, postcode]   # correlated columns: ONE comparison (values joined with a space)
    comparator: token_set
blocking:                     # candidates agree on every key part of at least one rule
  - [soundex(surname), year(date_of_birth)]
  - [email]
training: [[email]]           # optional: the blocking rules whose pairs train m (EM sessions); default all
exact_links: [email]          # exact agreement here is reviewed, not separated, unless p < 0.01
thresholds: {auto_merge: 0.95, review: 0.6}
max_cluster_size: 10
max_block_size: 500           # larger blocks are skipped and reported (never all pairs)
blocked_values: {email: [test@example.com]}   # values that never link (placeholders, shared inboxes)
max_value_share: 10           # an exact-link value held by more records than this is blocked too
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.lib.core import YamlFileError, load_yaml
from orchestration.lib.identity.key_functions import AFFIX_RE, KEY_FUNCTIONS

COMPARATORS = ("date", "email", "exact", "jaro_winkler", "levenshtein", "phone", "token_set")
# similarity cut-offs below exact agreement, high to low; the last level is "disagrees"
DEFAULT_LEVELS = {
    "exact": (),
    "jaro_winkler": (0.92, 0.80),
    "levenshtein": (0.85, 0.65),
    "token_set": (0.90, 0.60),
    "date": (),        # levels: equal, one edit (typo / transposition), same year, else
    "email": (),       # levels: equal, same local part at a domain one edit away (gmial.com), else
    "phone": (),       # levels: equal, same last 8 digits, else
}
_CALL_RE = re.compile(r"^\s*([a-z_0-9]+)\s*\((.*)\)\s*$")
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class MatchConfigError(ValueError):
    """A match configuration that cannot be used; the message names file, path and expectation."""


@dataclass(frozen=True)
class FieldSpec:
    name: str
    columns: tuple[str, ...]
    comparator: str
    levels: tuple[float, ...]
    swap_with: str | None = None      # another comparison whose values may be swapped with this one's

    @property
    def n_levels(self) -> int:
        """Number of agreement levels: exact, one per cut-off (or comparator-specific), disagree."""
        special = {"date": 4, "email": 3, "phone": 3}
        return special.get(self.comparator, 2 + len(self.levels))

    def level_labels(self) -> list[str]:
        if self.comparator == "date":
            return ["exact", "one_edit", "same_year", "different"]
        if self.comparator == "email":
            return ["exact", "domain_typo", "different"]
        if self.comparator == "phone":
            return ["exact", "same_last_8_digits", "different"]
        return ["exact"] + [f">={c:g}" for c in self.levels] + ["different"]


@dataclass(frozen=True)
class KeyPart:
    """A blocking key part: a column with functions applied inside out, e.g. soundex(fold(surname))."""
    column: str
    functions: tuple[str, ...] = ()   # applied first to last

    def __str__(self) -> str:
        text = self.column
        for fn in self.functions:
            text = f"{fn}({text})"
        return text


@dataclass(frozen=True)
class MatchConfig:
    id_column: str
    fields: tuple[FieldSpec, ...]
    blocking: tuple[tuple[KeyPart, ...], ...]
    training: tuple[int, ...] = ()        # indices of the blocking rules used as EM sessions (all if empty)
    auto_merge: float = 0.95
    review: float = 0.60
    max_cluster_size: int = 10
    max_block_size: int = 500
    exact_links: tuple[str, ...] = ()
    blocked_values: dict = field(default_factory=dict)
    max_value_share: int = 10
    link_across: str | None = None
    normalize: str | None = None
    source: str = "<config>"

    @property
    def columns(self) -> list[str]:
        """Every input column the configuration reads."""
        cols = [self.id_column] + ([self.link_across] if self.link_across else [])
        for f in self.fields:
            cols += f.columns
        for rule in self.blocking:
            cols += [p.column for p in rule]
        return list(dict.fromkeys(cols))

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)

    def with_thresholds(self, auto_merge: float, review: float, max_cluster_size: int) -> MatchConfig:
        from dataclasses import replace
        return replace(self, auto_merge=auto_merge, review=review, max_cluster_size=max_cluster_size)


def parse_key_part(text: str, where: str) -> KeyPart:
    """`soundex(fold(surname))` -> KeyPart('surname', ('fold', 'soundex'))."""
    functions: list[str] = []
    expr = str(text).strip()
    while True:
        m = _CALL_RE.match(expr)
        if not m:
            break
        fn, expr = m.group(1), m.group(2).strip()
        if fn not in KEY_FUNCTIONS and not AFFIX_RE.match(fn):
            raise MatchConfigError(f"{where}: unknown key function {fn!r}; expected one of: "
                                   f"{', '.join(KEY_FUNCTIONS)}, prefixN, suffixN")
        functions.insert(0, fn)
    if not _NAME_RE.match(expr):
        raise MatchConfigError(f"{where}: expected a column name or a function call like soundex(surname), "
                               f"got {text!r}")
    return KeyPart(expr, tuple(functions))


def _probability(value, where: str) -> float:
    try:
        p = float(value)
    except (TypeError, ValueError):
        raise MatchConfigError(f"{where}: expected a probability between 0 and 1, got {value!r}") from None
    if not 0.0 < p <= 1.0:
        raise MatchConfigError(f"{where}: expected a probability in (0, 1], got {p}")
    return p


def _positive_int(value, where: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise MatchConfigError(f"{where}: expected an integer >= {minimum}, got {value!r}")
    return value


def parse_config(doc, source: str = "<config>") -> MatchConfig:
    """Validate a config mapping (parsed YAML) into a MatchConfig; errors name `source` and the path."""
    if not isinstance(doc, dict):
        raise MatchConfigError(f"{source}: expected a mapping with keys id, fields, blocking")
    known = {"id", "fields", "blocking", "training", "thresholds", "max_cluster_size", "max_block_size", "exact_links",
             "blocked_values", "max_value_share", "link_across", "normalize"}
    unknown = sorted(set(doc) - known)
    if unknown:
        raise MatchConfigError(f"{source}: unknown key(s) {unknown}; expected some of {sorted(known)}")
    for key in ("id", "fields", "blocking"):
        if key not in doc:
            raise MatchConfigError(f"{source}: missing required key {key!r}")
    id_column = doc["id"]
    if not isinstance(id_column, str) or not _NAME_RE.match(id_column):
        raise MatchConfigError(f"{source}: id: expected a column name, got {id_column!r}")
    if not isinstance(doc["fields"], list) or not doc["fields"]:
        raise MatchConfigError(f"{source}: fields: expected a non-empty list of comparisons")
    fields: list[FieldSpec] = []
    for i, f in enumerate(doc["fields"]):
        where = f"{source}: fields[{i}]"
        if not isinstance(f, dict):
            raise MatchConfigError(f"{where}: expected a mapping with column (or columns) and comparator")
        bad = sorted(set(f) - {"name", "column", "columns", "comparator", "levels", "swap_with"})
        if bad:
            raise MatchConfigError(f"{where}: unknown key(s) {bad}; expected name, column|columns, comparator, "
                                   "levels, swap_with")
        if ("column" in f) == ("columns" in f):
            raise MatchConfigError(f"{where}: give exactly one of column or columns")
        cols = [f["column"]] if "column" in f else f["columns"]
        if not isinstance(cols, list) or not cols or not all(isinstance(c, str) and _NAME_RE.match(c) for c in cols):
            raise MatchConfigError(f"{where}.column{'s' if 'columns' in f else ''}: expected column name(s), got {cols!r}")
        comparator = f.get("comparator")
        if comparator not in COMPARATORS:
            raise MatchConfigError(f"{where}.comparator: unknown comparator {comparator!r}; expected one of: "
                                   f"{', '.join(COMPARATORS)}")
        levels = f.get("levels", DEFAULT_LEVELS[comparator])
        if levels and comparator in ("exact", "date", "email", "phone"):
            raise MatchConfigError(f"{where}.levels: comparator {comparator} has fixed levels; remove levels")
        if not isinstance(levels, (list, tuple)) or not all(isinstance(x, (int, float)) and 0 < x < 1 for x in levels) \
                or list(levels) != sorted(levels, reverse=True) or len(set(levels)) != len(levels):
            raise MatchConfigError(f"{where}.levels: expected similarity cut-offs between 0 and 1, high to low, "
                                   f"got {levels!r}")
        name = f.get("name") or "_".join(cols)
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise MatchConfigError(f"{where}.name: expected a snake_case name, got {name!r}")
        if any(x.name == name for x in fields):
            raise MatchConfigError(f"{where}.name: duplicate comparison name {name!r}")
        fields.append(FieldSpec(name, tuple(cols), comparator, tuple(float(x) for x in levels), f.get("swap_with")))
    if not isinstance(doc["blocking"], list) or not doc["blocking"]:
        raise MatchConfigError(f"{source}: blocking: expected a non-empty list of rules (each a list of key parts)")
    blocking = []
    for i, rule in enumerate(doc["blocking"]):
        parts = rule if isinstance(rule, list) else [rule]
        if not parts:
            raise MatchConfigError(f"{source}: blocking[{i}]: expected at least one key part")
        blocking.append(tuple(parse_key_part(p, f"{source}: blocking[{i}][{j}]") for j, p in enumerate(parts)))
    training = doc.get("training") or []
    texts = [[str(p) for p in rule] for rule in blocking]
    train_idx = []
    for i, rule in enumerate(training):
        parts = [str(parse_key_part(p, f"{source}: training[{i}]")) for p in (rule if isinstance(rule, list) else [rule])]
        if parts not in texts:
            raise MatchConfigError(f"{source}: training[{i}]: {parts} is not one of the blocking rules")
        train_idx.append(texts.index(parts))
    thresholds = doc.get("thresholds") or {}
    if not isinstance(thresholds, dict) or set(thresholds) - {"auto_merge", "review"}:
        raise MatchConfigError(f"{source}: thresholds: expected a mapping with auto_merge and review")
    auto_merge = _probability(thresholds.get("auto_merge", 0.95), f"{source}: thresholds.auto_merge")
    review = _probability(thresholds.get("review", 0.60), f"{source}: thresholds.review")
    if review > auto_merge:
        raise MatchConfigError(f"{source}: thresholds: review ({review}) must not be above auto_merge ({auto_merge})")
    names = {f.name for f in fields}
    for i, f in enumerate(fields):
        if f.swap_with is not None:
            other = next((g for g in fields if g.name == f.swap_with), None)
            if other is None or other is f or other.comparator not in ("jaro_winkler", "levenshtein", "exact") \
                    or f.comparator not in ("jaro_winkler", "levenshtein", "exact"):
                raise MatchConfigError(f"{source}: fields[{i}].swap_with: expected the name of another "
                                       f"jaro_winkler/levenshtein/exact comparison, got {f.swap_with!r}")
    exact_links = doc.get("exact_links") or []
    for i, name in enumerate(exact_links):
        if name not in names:
            raise MatchConfigError(f"{source}: exact_links[{i}]: {name!r} is not a comparison name; "
                                   f"expected one of {sorted(names)}")
    blocked = doc.get("blocked_values") or {}
    if not isinstance(blocked, dict):
        raise MatchConfigError(f"{source}: blocked_values: expected a mapping column -> list of values")
    blocked_values = {}
    for col, values in blocked.items():
        if not isinstance(values, list):
            raise MatchConfigError(f"{source}: blocked_values.{col}: expected a list of values")
        blocked_values[str(col)] = frozenset(str(v).strip().lower() for v in values)
    link_across = doc.get("link_across")
    if link_across is not None and (not isinstance(link_across, str) or not _NAME_RE.match(link_across)):
        raise MatchConfigError(f"{source}: link_across: expected a column name, got {link_across!r}")
    normalize = doc.get("normalize")
    if normalize not in (None, "contacts"):
        raise MatchConfigError(f"{source}: normalize: expected 'contacts' or nothing, got {normalize!r}")
    return MatchConfig(
        id_column=id_column, fields=tuple(fields), blocking=tuple(blocking), training=tuple(train_idx),
        auto_merge=auto_merge, review=review,
        max_cluster_size=_positive_int(doc.get("max_cluster_size", 10), f"{source}: max_cluster_size", 2),
        max_block_size=_positive_int(doc.get("max_block_size", 500), f"{source}: max_block_size", 2),
        exact_links=tuple(exact_links), blocked_values=blocked_values,
        max_value_share=_positive_int(doc.get("max_value_share", 10), f"{source}: max_value_share", 2),
        link_across=link_across, normalize=normalize, source=source)


def load_config(path: str | Path) -> MatchConfig:
    path = Path(path)
    if not path.is_file():
        raise MatchConfigError(f"{path}: no such match configuration file")
    try:
        doc = load_yaml(path)
    except YamlFileError as exc:
        raise MatchConfigError(str(exc)) from exc
    return parse_config(doc, str(path))
