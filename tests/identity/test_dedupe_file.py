"""`microseg dedupe`'s output file (lib/identity/dedupe_file.py): clusters.csv in id order."""

import random

import pandas as pd
import pytest
from click.testing import CliRunner

from orchestration.cli import main

CONFIG = ("id: rec\nfields:\n  - {column: name, comparator: jaro_winkler}\n  - {column: city, comparator: exact}\n"
          "blocking:\n  - [name]\n")


def dedupe_ids(tmp_path, ids: list[str], names: list[str]) -> pd.DataFrame:
    pd.DataFrame({"rec": ids, "name": names, "city": ["berlin"] * len(ids)}).to_csv(tmp_path / "in.csv", index=False)
    (tmp_path / "m.yml").write_text(CONFIG)
    out = tmp_path / "clusters.csv"
    result = CliRunner().invoke(main, ["dedupe", str(tmp_path / "in.csv"), "--config", str(tmp_path / "m.yml"),
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    return pd.read_csv(out, dtype=str, keep_default_na=False)


NAMES = [f"person{k:02d}" for k in range(12)]


@pytest.mark.parametrize("ids, expected", [
    ([str(k) for k in range(12, 0, -1)], [str(k) for k in range(1, 13)]),                  # 1, 2, ..., 10, 11, 12
    (["10", "9", "100", "-1", "2.5", "007", "7"], ["-1", "2.5", "007", "7", "9", "10", "100"]),  # ties: text order
    (["r10", "r2", "r1"], ["r1", "r10", "r2"]),                                            # not numbers: as text
    (["10", "9", "x1"], ["10", "9", "x1"]),
])
def test_clusters_csv_is_in_numeric_id_order_when_ids_are_numbers(tmp_path, ids, expected):
    clusters = dedupe_ids(tmp_path, ids, NAMES[:len(ids)])
    assert clusters.rec.tolist() == expected


def test_numeric_cluster_id_is_the_numerically_smallest_id(tmp_path):
    rng = random.Random(5)
    rows = []
    for k in range(60):
        given = rng.choice(["anna", "ben", "carla", "dirk", "emil", "frida"]) + str(k)
        rows.append({"rec": str(k + 1), "given": given, "surname": f"smith{k % 7}", "dob": f"19{50 + k}0101"})
        if k % 3 == 0:      # a duplicate with a larger id that sorts first as text: 1 and 101, 4 and 104, ...
            rows.append({"rec": str(k + 101), "given": given, "surname": f"smith{k % 7}", "dob": f"19{50 + k}0101"})
    pd.DataFrame(rows).to_csv(tmp_path / "in.csv", index=False)
    (tmp_path / "m.yml").write_text(
        "id: rec\nfields:\n  - {column: given, comparator: jaro_winkler}\n  - {column: surname, comparator: exact}\n"
        "  - {column: dob, comparator: levenshtein}\nblocking:\n  - [surname]\n  - [prefix3(given)]\n")
    result = CliRunner().invoke(main, ["dedupe", str(tmp_path / "in.csv"), "--config", str(tmp_path / "m.yml"),
                                       "--out", str(tmp_path / "clusters.csv")])
    assert result.exit_code == 0, result.output
    clusters = pd.read_csv(tmp_path / "clusters.csv", dtype=str)
    assert clusters.rec.tolist() == sorted((r["rec"] for r in rows), key=int)
    cluster_of = dict(zip(clusters.rec, clusters.cluster_id))
    assert all(cluster_of[str(k + 1)] == cluster_of[str(k + 101)] == str(k + 1) for k in range(0, 60, 3))
