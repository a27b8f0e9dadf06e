"""Probabilistic record matching: blocking, vectorized comparisons, Fellegi-Sunter weights by EM.

The engine behind identity resolution and `microseg dedupe`. Pure Python + DuckDB + rapidfuzz.

1. **Prepare** (`preparation.py`): records sorted by id (so nothing depends on input order); each
   comparison's value per record (text, trimmed; correlated columns joined into one value); blocked
   values and exact-link values shared by more than `max_value_share` records become missing.
2. **Block** (`blocking.py`, DuckDB): a pair is a candidate when it agrees on every key part of at
   least one blocking rule; blocks larger than `max_block_size` are skipped and reported. Work grows
   with the block sizes, never with all pairs.
3. **Compare** (`comparison.py`, rapidfuzz `process.cpdist`, vectorized, on the *distinct* value
   pairs only): each comparison gives an agreement level (0 = exact, then similarity bands, last =
   disagrees; -1 = missing, which is neutral evidence).
4. **Model** (`model.py`, Fellegi-Sunter): `u` (chance agreement) per level from value frequencies
   (exact level, computed exactly) and a seeded sample of random pairs (other levels); `m`
   (agreement among matches) and the match prior `lambda` by EM over the distinct agreement
   patterns of the candidates, with `u` fixed. A pair's match weight is
   `log2(lambda/(1-lambda)) + sum log2(m/u)` and its probability `2^w / (1 + 2^w)`. The model is
   re-estimated on every input (the best threshold differs between sources), or pinned with
   `model=` for stable runs. `scoring.py` runs steps 1-4: `score_pairs`.
5. **Decide** (`resolution.py`): `p >= auto_merge` merge; `review <= p < auto_merge` review queue;
   else separate. A pair agreeing exactly on an `exact_links` comparison (same email, same phone)
   merges unless the rest of the evidence contradicts it (`p < review`): then it goes to review,
   never silently either way. Reviewer decisions override: `merge` forces the link, `separate`
   forbids it.
6. **Cluster** (`lib/identity/clustering.py`): union-find over accepted links, strongest first, never
   beyond `max_cluster_size` and never across a `separate` decision. `resolve` runs steps 5-6,
   `run_match` all six.

The public API: import these names from here (submodules load on first use).
"""

from orchestration.lib.core.lazy import lazy_exports

_EXPORTS = {
    "BlockingStats": "blocking",
    "candidate_pairs": "blocking",
    "ComparatorParts": "comparison",
    "compare": "comparison",
    "SEED": "model",
    "Model": "model",
    "estimate_u": "model",
    "score": "model",
    "train": "model",
    "MatchInputError": "preparation",
    "PreparedRecords": "preparation",
    "Progress": "preparation",
    "prepare": "preparation",
    "DECISIONS": "resolution",
    "DECISION_NAMES": "resolution",
    "MERGE": "resolution",
    "REFUSED_SEPARATE": "resolution",
    "REFUSED_SIZE_CAP": "resolution",
    "REVIEW": "resolution",
    "REVIEW_MERGE": "resolution",
    "REVIEW_SEPARATE": "resolution",
    "SEPARATE": "resolution",
    "MatchResult": "resolution",
    "Resolution": "resolution",
    "decide": "resolution",
    "resolve": "resolution",
    "run_match": "resolution",
    "ScoredPairs": "scoring",
    "score_pairs": "scoring",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
