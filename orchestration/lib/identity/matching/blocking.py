"""Step 2, block (DuckDB): a pair is a candidate when it agrees on every key part of at least one
blocking rule; blocks larger than `max_block_size` are skipped and reported. Work grows with the
block sizes, never with all pairs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.lib.identity.match_config import MatchConfig
from orchestration.lib.identity.matching.preparation import PreparedRecords, Progress


@dataclass
class BlockingStats:
    rules: list[dict]
    candidate_pairs: int


def candidate_pairs(prep: PreparedRecords, config: MatchConfig, progress: Progress | None = None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, BlockingStats]:
    """Distinct (i, j), i < j, agreeing on some blocking rule, with a bit mask of the rules they agree on.

    One DuckDB query per rule joins the records on the rule's key (NULL in any part: no key); blocks
    larger than max_block_size are skipped and reported. The union is aggregated in DuckDB.
    """
    import duckdb

    con = duckdb.connect()
    n = len(prep.ids)
    frame = prep.key_parts.copy()
    frame.insert(0, "i", np.arange(n, dtype=np.int64))
    if prep.link_group is not None:
        frame["g"] = prep.link_group
    con.register("key_parts", frame)
    across = "and a.g <> b.g" if prep.link_group is not None else ""
    stats, selects = [], []
    for r, names in enumerate(prep.rule_key_columns):
        key = " || chr(31) || ".join(f"{c}" for c in names)
        con.execute(f"""create or replace temp table rule_{r} as
            select i, {key} as k{', g' if prep.link_group is not None else ''} from key_parts
            where {' and '.join(f'{c} is not null' for c in names)}""")
        skipped, skipped_records, largest = con.execute(f"""
            select count(*) filter (where n > $cap), coalesce(sum(n) filter (where n > $cap), 0),
                   coalesce(max(n), 0)
            from (select count(*) as n from rule_{r} group by k)""", {"cap": config.max_block_size}).fetchall()[0]
        con.execute(f"""
            create or replace temp table pairs_{r} as
            with usable as (select * from rule_{r} where k in (
                select k from rule_{r} group by k having count(*) <= $cap))
            select a.i as i, b.i as j from usable a join usable b on a.k = b.k and a.i < b.i {across}""",
                    {"cap": config.max_block_size})
        pairs = con.execute(f"select count(*) from pairs_{r}").fetchall()[0][0]
        selects.append(f"select i, j, {1 << r}::bigint as bit from pairs_{r}")
        rule_text = ", ".join(str(p) for p in config.blocking[r])
        stats.append({"rule": f"[{rule_text}]", "pairs": int(pairs), "skipped_blocks": int(skipped),
                      "skipped_records": int(skipped_records), "largest_block": int(largest)})
        if progress:
            progress(f"blocking rule {r + 1}/{len(prep.rule_key_columns)} [{rule_text}]: {pairs:,} pairs"
                     + (f", {skipped} blocks over {config.max_block_size} records skipped" if skipped else ""))
    result = con.execute(f"""
        select i, j, bit_or(bit) as rules from ({' union all '.join(selects)}) group by i, j order by i, j
    """).fetchnumpy()
    con.close()
    i, j, rules = (result[c].astype(np.int64) for c in ("i", "j", "rules"))
    return i, j, rules, BlockingStats(stats, int(len(i)))
