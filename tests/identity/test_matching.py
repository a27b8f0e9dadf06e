"""The matching engine: config errors, hard cases, properties, reviewer decisions, safeguards, the CLI."""

import json
import random

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration.cli import main
from orchestration.lib.identity.clustering import cluster
from orchestration.lib.identity.identity_map import contacts_config
from orchestration.lib.identity.match_config import MatchConfigError, parse_config
from orchestration.lib.identity.matching import Model, run_match, score_pairs

CONFIG = contacts_config()
CONTACT_COLUMNS = ["contact_id", "email", "first_name", "last_name", "phone", "gender", "birth_date", "city",
                   "postal_code", "country"]


def contacts(rows: list[dict]) -> pd.DataFrame:
    from orchestration.lib.identity.dedupe_file import contacts_frame

    df = pd.DataFrame([{c: r.get(c) for c in CONTACT_COLUMNS} for r in rows])
    return contacts_frame(df)


@pytest.fixture(scope="module")
def generated(generated_world):
    """Generator contacts with their truth, and a model estimated on them (a real, data-driven model)."""
    root = generated_world.landing
    raw = pd.read_csv(root / "crm" / "contacts.csv", dtype=str, keep_default_na=False, na_values=[""])
    truth = pd.read_csv(root / "ground_truth" / "contacts.csv", dtype=str)
    frame = contacts(raw.to_dict("records"))
    scored = score_pairs(frame, CONFIG)
    return frame, truth, scored.model


def clusters_of(result, id_column="contact_id") -> dict:
    cf = result.cluster_frame(id_column)
    return dict(zip(cf[id_column], cf["cluster_id"]))


def pairwise_f1(assign: dict, truth: pd.DataFrame) -> float:
    df = pd.DataFrame({"contact_id": list(assign), "cluster": list(assign.values())}).merge(truth, on="contact_id")

    def pairs(groups):
        s = groups.size()
        return int((s * (s - 1) // 2).sum())
    tp = pairs(df.groupby(["cluster", "person_id"]))
    p, r = tp / max(1, pairs(df.groupby("cluster"))), tp / max(1, pairs(df.groupby("person_id")))
    return 2 * p * r / max(p + r, 1e-9)


# ------------------------------------------------------------------------------------------ config
@pytest.mark.parametrize("doc, message", [
    ({"id": "id", "fields": [{"column": "a", "comparator": "jaro"}], "blocking": [["a"]]},
     r"fields\[0\]\.comparator: unknown comparator 'jaro'"),
    ({"id": "id", "fields": [{"column": "a", "comparator": "exact"}], "blocking": [["sndx(a)"]]},
     r"blocking\[0\]\[0\]: unknown key function 'sndx'"),
    ({"id": "id", "fields": [{"column": "a", "comparator": "jaro_winkler", "levels": [0.5, 0.9]}],
      "blocking": [["a"]]}, r"fields\[0\]\.levels: expected similarity cut-offs .* high to low"),
    ({"id": "id", "fields": [{"column": "a", "comparator": "exact"}], "blocking": [["a"]],
      "thresholds": {"auto_merge": 0.5, "review": 0.9}}, r"thresholds: review \(0.9\) must not be above auto_merge"),
    ({"id": "id", "fields": [{"column": "a", "comparator": "exact"}], "blocking": [["a"]], "exact_links": ["b"]},
     r"exact_links\[0\]: 'b' is not a comparison name"),
    ({"id": "id", "fields": [], "blocking": [["a"]]}, r"fields: expected a non-empty list"),
])
def test_config_errors_name_file_path_and_expectation(doc, message):
    with pytest.raises(MatchConfigError, match=r"^match\.yml: " + message):
        parse_config(doc, "match.yml")


def test_contacts_config_ships_valid_and_takes_thresholds_from_settings():
    config = contacts_config(0.9, 0.5, 4)
    assert (config.auto_merge, config.review, config.max_cluster_size) == (0.9, 0.5, 4)
    assert {"email", "phone"} == set(config.exact_links)


# ------------------------------------------------------------------------------- quality, hard cases
def test_generator_contacts_resolve_with_high_f1(generated):
    frame, truth, _ = generated
    assert pairwise_f1(clusters_of(run_match(frame, CONFIG)), truth) >= 0.9


BASE = {"email": "katharina.schulte@web.de", "first_name": "Katharina", "last_name": "Schulte",
        "phone": "+49 30 1234567", "gender": "F", "birth_date": "1984-03-12", "city": "Berlin",
        "postal_code": "10115", "country": "DE"}


@pytest.mark.parametrize("case, variant, same", [
    ("transposed letters in both names, email case", {"first_name": "Kathraina", "last_name": "Schlute",
                                                     "email": "Katharina.Schulte@WEB.de "}, True),
    ("typo in the email domain, phone in another format", {"email": "katharina.schulte@wbe.de",
                                                           "phone": "030/1234567"}, True),
    ("accents and case variants, no email", {"first_name": "KATHARINA", "last_name": "schulte", "email": None,
                                             "city": "BERLIN"}, True),
    ("first and last name swapped, no email or phone", {"first_name": "Schulte", "last_name": "Katharina",
                                                         "email": None, "phone": None}, True),
    ("shared family email, another person", {"first_name": "Jonas", "gender": "M", "birth_date": "2011-07-02",
                                             "phone": None}, False),
    ("same name, different person", {"email": "k.schulte77@gmx.de", "phone": "+49 89 7654321",
                                     "birth_date": "1977-11-30", "city": "München", "postal_code": "80331"},
     False),
])
def test_hard_cases_with_a_model_estimated_on_generator_data(generated, case, variant, same):
    frame, _, model = generated
    pair = contacts([{**BASE, "contact_id": "X1"}, {**BASE, **variant, "contact_id": "X2"}])
    result = run_match(pd.concat([frame, pair], ignore_index=True), CONFIG, model=model)
    assign = clusters_of(result)
    assert (assign["X1"] == assign["X2"]) is same, case


def test_shared_email_decision_follows_the_rest_of_the_evidence(generated):
    frame, _, model = generated
    mother = {**BASE, "contact_id": "X1"}
    son = {**BASE, "contact_id": "X2", "first_name": "Jonas", "gender": "M", "birth_date": "2011-07-02", "phone": None}
    result = run_match(pd.concat([frame, contacts([mother, son])], ignore_index=True), CONFIG, model=model)
    pairs = result.pairs.set_index(["left_id", "right_id"])
    # the same inbox, but another first name and another birth date: plainly two people
    assert pairs.loc[("X1", "X2"), "rule"] == "email_exact"
    assert pairs.loc[("X1", "X2"), "decision"] == "separate"
    assert pairs.loc[("X1", "X2"), "probability"] < 0.01


@pytest.mark.parametrize("probability, rule, expected", [
    (0.97, "fuzzy", "merge"), (0.70, "fuzzy", "review"), (0.30, "fuzzy", "separate"),
    (0.97, "email_exact", "merge"), (0.70, "email_exact", "review"),
    (0.30, "email_exact", "review"),      # the same email, contradicted: a person decides
    (0.005, "phone_exact", "separate"),   # the same phone and nothing else in common: two people
])
def test_decide_thresholds_and_contradicted_exact_links(probability, rule, expected):
    from orchestration.lib.identity.matching import DECISION_NAMES, decide

    code = decide(np.array([probability]), np.array([rule], dtype=object), CONFIG)[0]
    assert DECISION_NAMES[code] == expected


# --------------------------------------------------------------------------------------- properties
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000))
def test_result_does_not_depend_on_input_order(generated, seed):
    frame, _, _ = generated
    sample = frame.iloc[:600]
    shuffled = sample.sample(frac=1, random_state=seed).reset_index(drop=True)
    assert clusters_of(run_match(sample, CONFIG)) == clusters_of(run_match(shuffled, CONFIG))


def test_dedupe_of_its_own_output_is_the_same(generated):
    frame, _, _ = generated
    sample = frame.iloc[:800]
    first = run_match(sample, CONFIG)
    again = run_match(sample.merge(first.cluster_frame("contact_id"), on="contact_id"), CONFIG)
    assert clusters_of(first) == clusters_of(again)
    assert first.pairs.equals(again.pairs)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.sampled_from(["Wilhelmina", "Xaver", "Quirin", "Ottilie"]),
       last=st.sampled_from(["Zwiebelbaum", "Quastenberg", "Yilmazoglu"]), year=st.integers(1940, 2005))
def test_adding_an_unrelated_record_never_changes_other_clusters(generated, first, last, year):
    frame, _, model = generated
    sample = frame.iloc[:800]
    before = clusters_of(run_match(sample, CONFIG, model=model))
    extra = contacts([{"contact_id": "ZZ-new", "first_name": first, "last_name": last,
                       "email": f"{first}.{last}.{year}@example.org".lower(), "birth_date": f"{year}-01-15",
                       "city": "Nowhere", "postal_code": "99999", "country": "DE"}])
    after = clusters_of(run_match(pd.concat([sample, extra], ignore_index=True), CONFIG, model=model))
    assert after.pop("ZZ-new") == "ZZ-new"
    assert after == before


# ------------------------------------------------------------------------- decisions and safeguards
def test_separate_decision_splits_an_automatic_merge_and_merge_forces_one(generated):
    frame, _, model = generated
    result = run_match(frame, CONFIG, model=model)
    merged = result.pairs[result.pairs.decision == "merge"].iloc[0]
    a, b = merged["left_id"], merged["right_id"]
    assert clusters_of(result)[a] == clusters_of(result)[b]
    split = run_match(frame, CONFIG, model=model, decisions=[(b, a, "separate")])
    assert clusters_of(split)[a] != clusters_of(split)[b]
    row = split.pairs[(split.pairs.left_id == a) & (split.pairs.right_id == b)].iloc[0]
    assert row["decision"] == "review_separate"
    singles = [k for k, v in clusters_of(result).items() if k == v][:2]
    forced = run_match(frame, CONFIG, model=model, decisions=[(singles[0], singles[1], "merge")])
    assert clusters_of(forced)[singles[0]] == clusters_of(forced)[singles[1]]


def test_cluster_size_cap_refuses_links_beyond_it():
    links = [(k, k + 1, 0.99 - k * 0.01) for k in range(5)]          # a chain of 6 records
    result = cluster(6, links, max_size=3)
    assert result.sizes.max() == 3
    assert [(a, b, why) for a, b, why in result.refused] == [(2, 3, "size_cap")]


def test_cannot_link_holds_across_transitive_links():
    # 0-1 and 1-2 are strong, but a reviewer said 0 and 2 are different people: 2 stays apart
    result = cluster(3, [(0, 1, 0.99), (1, 2, 0.98)], cannot_link=[(0, 2)], max_size=10)
    assert result.labels[0] == result.labels[1] != result.labels[2]
    assert result.refused == [(1, 2, "separate")]


def test_placeholder_values_shared_by_many_records_never_link():
    rows = [{"contact_id": f"C{k}", "first_name": n, "last_name": "Doe", "phone": "+49 30 9999999",
             "country": "DE"} for k, n in enumerate(["Ann", "Bob", "Cid", "Dan", "Eve", "Fay", "Gus", "Hal", "Ivy",
                                                     "Jo"])]
    result = run_match(contacts(rows), CONFIG)
    assert result.blocked_values["phone"] == 10
    assert len(set(clusters_of(result).values())) == 10


# ---------------------------------------------------------------------------------------------- CLI
def test_dedupe_cli_writes_one_row_per_record_and_pairs(tmp_path):
    rng = random.Random(5)
    rows = []
    for k in range(60):
        given_name = rng.choice(["anna", "ben", "carla", "dirk", "emil", "frida"]) + str(k)
        rows.append({"rec": f"r{k}", "given": given_name, "surname": f"smith{k % 7}", "dob": f"19{50 + k}0101",
                     "src": "a"})
        if k % 3 == 0:
            rows.append({"rec": f"r{k}-dup", "given": given_name[:-1] + given_name[-1], "surname": f"smith{k % 7}",
                         "dob": f"19{50 + k}0101", "src": "b"})
    (tmp_path / "in.csv").write_text(pd.DataFrame(rows).to_csv(index=False))
    (tmp_path / "m.yml").write_text(
        "id: rec\nfields:\n  - {column: given, comparator: jaro_winkler}\n  - {column: surname, comparator: exact}\n"
        "  - {column: dob, comparator: levenshtein}\nblocking:\n  - [surname]\n  - [prefix3(given)]\n")
    out = tmp_path / "clusters.csv"
    result = CliRunner().invoke(main, ["dedupe", str(tmp_path / "in.csv"), "--config", str(tmp_path / "m.yml"),
                                       "--out", str(out), "--pairs", str(tmp_path / "pairs.csv"),
                                       "--model-out", str(tmp_path / "model.json")])
    assert result.exit_code == 0, result.output
    clusters = pd.read_csv(out, dtype=str)
    assert list(clusters.columns) == ["rec", "cluster_id", "weakest_link_probability"]
    assert sorted(clusters.rec) == sorted(r["rec"] for r in rows)
    c = dict(zip(clusters.rec, clusters.cluster_id))
    assert all(c[f"r{k}"] == c[f"r{k}-dup"] for k in range(0, 60, 3))
    pairs = pd.read_csv(tmp_path / "pairs.csv")
    assert {"left_id", "right_id", "probability", "decision", "given_level"} <= set(pairs.columns)
    model = json.loads((tmp_path / "model.json").read_text())
    assert set(model["comparisons"]) == {"given", "surname", "dob"}
    again = CliRunner().invoke(main, ["dedupe", str(tmp_path / "in.csv"), "--config", str(tmp_path / "m.yml"),
                                      "--out", str(tmp_path / "c2.csv"), "--model", str(tmp_path / "model.json")])
    assert again.exit_code == 0
    pinned = pd.read_csv(tmp_path / "c2.csv", dtype=str)
    assert pinned[["rec", "cluster_id"]].equals(clusters[["rec", "cluster_id"]])   # probabilities: rounded m/u


def test_dedupe_cli_bad_config_exits_2_with_location(tmp_path):
    (tmp_path / "in.csv").write_text("rec,a\n1,x\n")
    (tmp_path / "m.yml").write_text("id: rec\nfields: [{column: a, comparator: fuzzy}]\nblocking: [[a]]\n")
    result = CliRunner().invoke(main, ["dedupe", str(tmp_path / "in.csv"), "--config", str(tmp_path / "m.yml"),
                                       "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2
    assert "m.yml: fields[0].comparator: unknown comparator 'fuzzy'" in result.output


def test_pinned_model_roundtrips(generated):
    _, _, model = generated
    again = Model.from_dict(json.loads(json.dumps(model.to_dict(CONFIG))), CONFIG)
    assert np.allclose(again.m["email"], model.m["email"], atol=1e-6) and again.lam == pytest.approx(model.lam)
