"""Step 3, compare (rapidfuzz `process.cpdist`, vectorized, on the *distinct* value pairs only): each
comparison gives an agreement level (0 = exact, then similarity bands, last = disagrees; -1 =
missing, which is neutral evidence) and a similarity."""

from __future__ import annotations

import numpy as np
import pandas as pd

from orchestration.lib.identity.match_config import FieldSpec, MatchConfig
from orchestration.lib.identity.matching.preparation import PreparedRecords


def _similarity(comparator: str, a: list, b: list) -> np.ndarray:
    from rapidfuzz import fuzz, process
    from rapidfuzz.distance import JaroWinkler, Levenshtein

    if not a:
        return np.zeros(0, dtype=np.float32)
    if comparator == "jaro_winkler":
        return process.cpdist(a, b, scorer=JaroWinkler.normalized_similarity, workers=-1, dtype=np.float32)
    if comparator == "levenshtein":
        return process.cpdist(a, b, scorer=Levenshtein.normalized_similarity, workers=-1, dtype=np.float32)
    if comparator == "token_set":
        return process.cpdist(a, b, scorer=fuzz.token_set_ratio, workers=-1, dtype=np.float32) / 100.0
    raise ValueError(comparator)


def _codes_of(values: list) -> np.ndarray:
    """Integer codes of derived values (-1 for None): equality of codes is equality of values."""
    codes, _ = pd.factorize(pd.Series(values, dtype="object"), use_na_sentinel=True)
    return codes.astype(np.int64)


class ComparatorParts:
    """Per distinct value of one comparison, the parts its comparator looks at (computed once)."""

    def __init__(self, comparator: str, uniq: np.ndarray):
        vals = uniq.tolist()
        if comparator == "email":
            parts = [v.rpartition("@") for v in vals]
            self.local = np.array([p[0] for p in parts], dtype=object)
            self.domain = np.array([p[2] for p in parts], dtype=object)
            self.local_code = _codes_of(self.local.tolist())
            self.domain_code = _codes_of(self.domain.tolist())
        elif comparator == "phone":
            tails = ["".join(ch for ch in v if ch.isdigit())[-8:] for v in vals]
            self.tail_code = _codes_of([t if len(t) >= 6 else None for t in tails])
        elif comparator == "date":
            self.year_code = _codes_of([v[:4] for v in vals])
            # own text and day/month-swapped text in one code space: a's swap == b's own text
            joint = _codes_of(vals + [f"{v[:4]}-{v[8:10]}-{v[5:7]}" if len(v) == 10 else None for v in vals])
            self.own_code, self.swapped_code = joint[:len(vals)], joint[len(vals):]


_LOCAL_SEPARATORS = "._-+"


def local_part_typo(a: str, b: str) -> bool:
    """Two local parts one edit apart (`OSA`): a typo of one address, or two people? A typo is in a letter
    (anna.muller / anna.mueller), not in a separator (marie.mercier / mariemercier / marie_mercier: namesakes pick
    the spelling still free); it keeps the digits (anna.mueller84 / anna.mueller85, mueller / mueller2 are other
    accounts) and the initials: the first letter of the local part and of each of its words (a.mueller /
    j.mueller, anna.maier / anna.baier are other people)."""
    letters = [c for c in a if not c.isdigit() and c not in _LOCAL_SEPARATORS]
    if letters == [c for c in b if not c.isdigit() and c not in _LOCAL_SEPARATORS]:
        return False
    if [c for c in a if c.isdigit()] != [c for c in b if c.isdigit()]:
        return False
    p = 0
    while p < min(len(a), len(b)) and a[p] == b[p]:
        p += 1
    # the edit starts at p: at the very start, or right after a separator, it changes an initial
    return p > 0 and a[p - 1] not in _LOCAL_SEPARATORS


def _levels_for_distinct(spec: FieldSpec, uniq: np.ndarray, parts: ComparatorParts | None, ia: np.ndarray,
                         ib: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Levels (>= 1: not exactly equal) and similarity for distinct non-equal value pairs (by index)."""
    from rapidfuzz import process
    from rapidfuzz.distance import OSA

    last = spec.n_levels - 1
    if spec.comparator == "exact":
        return np.full(len(ia), last, dtype=np.int8), np.zeros(len(ia), dtype=np.float32)
    if spec.comparator in ("jaro_winkler", "levenshtein", "token_set"):
        sim = _similarity(spec.comparator, uniq[ia].tolist(), uniq[ib].tolist())
        level = np.full(len(ia), last, dtype=np.int8)
        for k in range(len(spec.levels) - 1, -1, -1):   # lowest band first; higher bands overwrite
            level[sim >= spec.levels[k]] = k + 1
        return level, sim
    if spec.comparator == "date":
        dist = process.cpdist(uniq[ia].tolist(), uniq[ib].tolist(), scorer=OSA.distance, workers=-1)
        swapped = (parts.swapped_code[ia] >= 0) & (parts.swapped_code[ia] == parts.own_code[ib])
        level = np.full(len(ia), 3, dtype=np.int8)
        level[parts.year_code[ia] == parts.year_code[ib]] = 2
        level[(dist <= 1) | swapped] = 1
        return level, (1.0 - np.minimum(dist, 10) / 10.0).astype(np.float32)
    if spec.comparator == "email":
        # one typo: the same local part at a domain one edit away (gmial.com, otlook.es), or a local part one
        # edit away at the same domain (anna.muller@ / anna.mueller@) that keeps its digits and initials
        same_dom = parts.domain_code[ia] == parts.domain_code[ib]
        same_loc = parts.local_code[ia] == parts.local_code[ib]
        level = np.full(len(ia), 2, dtype=np.int8)
        sim = np.zeros(len(ia), dtype=np.float32)
        for k, side in ((np.flatnonzero(same_loc & ~same_dom), parts.domain),
                        (np.flatnonzero(same_dom & ~same_loc), parts.local)):
            if not len(k):
                continue
            edits = process.cpdist(side[ia[k]].tolist(), side[ib[k]].tolist(), scorer=OSA.distance, workers=-1)
            one = np.flatnonzero(edits <= 1)       # gmial.com, otlook.es; not gmail.com vs hotmail.com
            if side is parts.local:
                one = one[[local_part_typo(a, b) for a, b in zip(side[ia[k[one]]], side[ib[k[one]]])]]
            level[k[one]] = 1
            sim[k] = 1.0 - np.minimum(edits, 10) / 10.0
        return level, sim
    if spec.comparator == "phone":
        same = (parts.tail_code[ia] >= 0) & (parts.tail_code[ia] == parts.tail_code[ib])
        return np.where(same, 1, 2).astype(np.int8), same.astype(np.float32)
    raise ValueError(spec.comparator)


def compare(prep: PreparedRecords, config: MatchConfig, i: np.ndarray, j: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray]:
    """Agreement levels (int8, -1 = missing) and similarities (float32) of pairs, one column per field."""
    n_pairs = len(i)
    levels = np.full((n_pairs, len(config.fields)), -1, dtype=np.int8)
    sims = np.full((n_pairs, len(config.fields)), np.nan, dtype=np.float32)
    for f_idx, spec in enumerate(config.fields):
        codes, uniq = prep.codes[spec.name], prep.uniques[spec.name]
        if spec.name not in prep.comparator_parts:
            prep.comparator_parts[spec.name] = ComparatorParts(spec.comparator, uniq)
        ca, cb = codes[i], codes[j]
        present = (ca >= 0) & (cb >= 0)
        equal = present & (ca == cb)
        levels[equal, f_idx] = 0
        sims[equal, f_idx] = 1.0
        rest = np.flatnonzero(present & ~equal)
        if len(rest):
            lo, hi = np.minimum(ca[rest], cb[rest]), np.maximum(ca[rest], cb[rest])   # symmetric measures
            width = np.int64(len(uniq) + 1)
            distinct, inverse = np.unique(lo * width + hi, return_inverse=True)
            lv, sv = _levels_for_distinct(spec, uniq, prep.comparator_parts[spec.name], distinct // width,
                                          distinct % width)
            levels[rest, f_idx] = lv[inverse]
            sims[rest, f_idx] = sv[inverse]
    _swapped_fields(prep, config, i, j, levels, sims)
    _local_part_edits_of_names(prep, config, i, j, levels)
    return levels, sims


def _folded_letters(text: str | None) -> str:
    """`Anna.Möller` and `anna.moeller` -> `annamoller` (the names' matching fold, then letters and digits only)."""
    from orchestration.lib.identity.normalize import fold_name

    return "".join(c for c in (fold_name(text) or "") if c.isalnum())


def _local_part_edits_of_names(prep: PreparedRecords, config: MatchConfig, i: np.ndarray, j: np.ndarray,
                               levels: np.ndarray) -> None:
    """A local part one edit away is a typo only when the names do not differ the same way: maria.jimenez@ and
    marta.jimenez@ of Maria and Marta Jimenez, meyer.hannah@ and meier.hannah@ of Hannah Meyer and Hannah Meier
    are two people's addresses made of their names. Such a pair (a Jaro-Winkler comparison, a name, disagrees
    and each local part holds its own record's value) takes the email's last level: the names carry it."""
    names = [(g_idx, g) for g_idx, g in enumerate(config.fields) if g.comparator == "jaro_winkler"]
    for e_idx, spec in enumerate(config.fields):
        if spec.comparator != "email" or not names:
            continue
        emails = prep.values[spec.name]
        for q in np.flatnonzero(levels[:, e_idx] == 1):
            local_a, _, domain_a = emails[i[q]].rpartition("@")
            local_b, _, domain_b = emails[j[q]].rpartition("@")
            if domain_a != domain_b:
                continue                                   # a domain typo: the local parts are equal
            local_a, local_b = _folded_letters(local_a), _folded_letters(local_b)
            for g_idx, g in names:
                name_a, name_b = _folded_letters(prep.values[g.name][i[q]]), _folded_letters(prep.values[g.name][j[q]])
                if levels[q, g_idx] > 0 and name_a and name_b and name_a in local_a and name_b in local_b:
                    levels[q, e_idx] = spec.n_levels - 1
                    break


def _swapped_fields(prep: PreparedRecords, config: MatchConfig, i: np.ndarray, j: np.ndarray, levels: np.ndarray,
                    sims: np.ndarray) -> None:
    """Fields entered the wrong way round (first name in the last-name column): for a comparison with
    `swap_with`, a pair that disagrees on both fields but agrees crosswise takes the crosswise levels."""
    names = [f.name for f in config.fields]
    for f_idx, spec in enumerate(config.fields):
        if not spec.swap_with:
            continue
        g_idx = names.index(spec.swap_with)
        other = config.fields[g_idx]
        worst_f, worst_g = spec.n_levels - 1, other.n_levels - 1
        k = np.flatnonzero((levels[:, f_idx] == worst_f) & (levels[:, g_idx] == worst_g))
        if not len(k):
            continue
        vf, vg = prep.values[spec.name], prep.values[other.name]
        a_f, b_g = vf[i[k]].tolist(), vg[j[k]].tolist()
        a_g, b_f = vg[i[k]].tolist(), vf[j[k]].tolist()
        lv_1, s_1 = _levels_for_distinct(spec, np.array(a_f + b_g, dtype=object), None,
                                         np.arange(len(k)), np.arange(len(k), 2 * len(k)))
        lv_2, s_2 = _levels_for_distinct(other, np.array(a_g + b_f, dtype=object), None,
                                         np.arange(len(k)), np.arange(len(k), 2 * len(k)))
        equal_1 = np.array([x == y for x, y in zip(a_f, b_g)])
        equal_2 = np.array([x == y for x, y in zip(a_g, b_f)])
        lv_1[equal_1], lv_2[equal_2] = 0, 0
        hit = (lv_1 < worst_f - 1) & (lv_2 < worst_g - 1)   # both crosswise at least the first similarity band
        levels[k[hit], f_idx], levels[k[hit], g_idx] = lv_1[hit], lv_2[hit]
        sims[k[hit], f_idx], sims[k[hit], g_idx] = s_1[hit], s_2[hit]
