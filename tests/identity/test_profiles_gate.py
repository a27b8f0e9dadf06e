"""profiles_cleaned and its gate: survivorship on a tiny hand-built warehouse, then the blocking GE gate.

The warehouse holds fixture rows in identity.* (what the identity step writes) and staging.* (created by
hand with the columns the intermediate models read); the real dbt intermediate and profiles mart models run on
it, with the gate's frame (the view gates.gate_profiles_cleaned).
"""

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from orchestration.checks.gates import ge_profiles_cleaned_critical
from orchestration.constants import AS_OF_TAG, SUITES_DIR
from orchestration.resources.expectations import GreatExpectationsResource
from orchestration.resources.settings import MicrosegResource
from tests.helpers.dbt import rows, run_dbt
from tests.helpers.fixture_tables import create_fixture_tables

pytestmark = pytest.mark.slow
AS_OF = "2026-11-01T00:00:00Z"

# contact_id, person_id, email, email_status, first_name, first_name_folded, last_name, last_name_folded,
# phone_e164, phone_status, gender, birth_date, city, postal_code, country, email_opt_in, created_at, updated_at
CONTACTS = [
    # p_anna: merged from c1 + c2; c2 is newer, so its valid address wins; consent true + false -> false
    ("c1", "p_anna", "anna@example.com", "valid", "Anna", "anna", "Muster", "muster", "+4915111111111", "valid",
     "female", "1990-05-01", "Berlin", "10115", "DE", True, "2025-01-01 00:00:00", "2026-01-01 00:00:00"),
    ("c2", "p_anna", "anna.m@example.com", "valid", "Änna", "anna", "Muster", "muster", None, "invalid",
     None, None, None, "99999", "AT", False, "2025-06-01 00:00:00", "2026-03-01 00:00:00"),
    # p_ben: true + NULL -> NULL; only the second (older) record's address is suppressed -> ben is suppressed
    ("c3", "p_ben", "ben@example.com", "valid", "Ben", "ben", "Berg", "berg", "+4915133333333", "valid",
     "male", "1985-02-03", "Hamburg", "20095", "DE", True, "2025-01-01 00:00:00", "2026-02-01 00:00:00"),
    ("c4", "p_ben", "ben.old@example.com", "valid", "Benn", "benn", "Berg", "berg", "+4915144444444", "valid",
     None, None, None, None, None, None, "2024-01-01 00:00:00", "2025-01-01 00:00:00"),
    # p_cara: true + true -> true; the newest record's address is malformed, so the older valid one wins
    ("c5", "p_cara", "cara@example.com", "valid", "Cara", "cara", "Nowak", "nowak", None, "empty",
     None, None, "Köln", "50667", "DE", True, "2025-01-01 00:00:00", "2026-01-01 00:00:00"),
    ("c6", "p_cara", "cara@@example", "malformed", "Cara", "cara", "Nowak", "nowak", None, "empty",
     "female", None, None, None, None, True, "2025-02-01 00:00:00", "2026-04-01 00:00:00"),
    # p_dora: erased
    ("c7", "p_dora", "dora@example.com", "valid", "Dora", "dora", "Dahl", "dahl", "+4915177777777", "valid",
     "female", "1970-07-07", "Bonn", "53111", "DE", True, "2025-01-01 00:00:00", "2026-01-01 00:00:00"),
]
IDENTITY_MAP = [("contact_id", c[0], c[1], "email_exact", 1.0) for c in CONTACTS] + [
    ("user_id", "c1", "p_anna", "identify", 1.0),          # the CRM contact logged in as user c1
    ("user_id", "c5", "p_cara", "identify", 1.0),
    ("user_id", "u-app", "p_app", "self", 1.0),            # an app account not in the CRM
    ("anonymous_id", "anon-anna", "p_anna", "identify", 1.0),
    ("anonymous_id", "anon-x", "p_anon", "self", 1.0),     # never identified
]
CLUSTERS = [("p_anna", 2, 0.97), ("p_ben", 2, 0.91), ("p_cara", 2, 1.0), ("p_dora", 1, 1.0),
            ("p_app", 0, 1.0), ("p_anon", 0, 1.0)]
# message_id, user_id, anonymous_id, event_type, event_name, trait_email, occurred_at
EVENTS = [
    ("e1", None, "anon-anna", "page", None, None, "2024-12-01 09:00:00"),           # before login and sign-up
    ("e2", "c1", "anon-anna", "identify", None, "anna@example.com", "2026-02-01 10:00:00"),
    ("e3", "c1", None, "track", "Product Viewed", None, "2026-04-01 10:00:00"),
    ("e4", "c5", None, "identify", None, "cara.app@example.com", "2026-02-01 10:00:00"),
    ("e5", "u-app", "anon-app", "identify", None, "app@example.com", "2026-03-01 10:00:00"),
    ("e6", None, "anon-x", "page", None, None, "2026-03-02 10:00:00"),
    ("e7", "u-unknown", "anon-x", "track", "Signed In", None, "2026-03-03 10:00:00"),  # unknown user id
]
# order_id, contact_id, email
ORDERS = [("o1", "c2", None), ("o2", None, "ben@example.com"), ("o3", None, "cara@@example"),
          ("o4", "c-unknown", "nobody@example.com"), ("o5", None, None)]
SUPPRESSION = [("ben.old@example.com", "unsubscribed"), ("cara.app@example.com", "bounced"),
               ("dora@example.com", "erasure"), ("dora@example.com", "unsubscribed")]


def _load_fixture(path: Path) -> None:
    with duckdb.connect(str(path)) as con:
        create_fixture_tables(con)
        for i, (cid, _, email, status, fn, fnf, ln, lnf, phone, pstatus, gender, birth, city, postal, country,
                opt_in, created, updated) in enumerate(CONTACTS):
            con.execute("""insert into identity.contacts_normalized values
                (?, ?, ?, split_part(?, '@', 2), case when ? = 'valid' then sha256(?) end, ?, ?, ?, ?, ?, ?,
                 case when ? is not null then sha256(?) end, ?, ?, year(cast(? as date)), ?, lower(?), ?, ?,
                 ?, 'web', ?, ?, 'crm/contacts.csv', ?)""",
                        [cid, email, status, email, status, email, fn, ln, fnf, lnf, phone, pstatus, phone, phone,
                         gender, birth, birth, city, city, postal, country, opt_in, created, updated, i + 2])
        con.executemany("insert into identity.identity_map values (?, ?, ?, ?, ?)", IDENTITY_MAP)
        con.executemany("insert into identity.clusters values (?, ?, ?)", CLUSTERS)
        for i, (mid, uid, aid, etype, ename, trait, at) in enumerate(EVENTS):
            con.execute("""insert into staging.stg_tracking__events (message_id, user_id, anonymous_id, event_type,
                           event_name, trait_email, occurred_at, received_date, is_late_arrival, source_file,
                           line_no) values (?, ?, ?, ?, ?, ?, ?, cast(? as date), false, 'events.jsonl', ?)""",
                        [mid, uid, aid, etype, ename, trait, at, at, i + 1])
        for i, (oid, cid, email) in enumerate(ORDERS):
            con.execute("""insert into staging.stg_shop__orders values
                           (?, ?, ?, '2026-05-01 12:00:00', 'completed', 'EUR', 19.90, ? is null and ? is null,
                            'orders.csv', ?)""", [oid, cid, email, cid, email, i + 2])
        # the suppression list holds the address's SHA-256 only
        con.executemany("insert into staging.stg_esp__suppressions values (sha256(?), ?, '2026-06-01 00:00:00', "
                        "'s.csv', 2)", SUPPRESSION)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The fixture warehouse after `dbt build` of the intermediate and profiles mart models and the gate's frame
    (one dbt run per module; int_enrichment__attributes reads the enrichment step's tables, absent here)."""
    root = tmp_path_factory.mktemp("profiles")
    warehouse = (root / "warehouse.duckdb").resolve()
    _load_fixture(warehouse)
    out = run_dbt(root, warehouse, ["build", "--select", "path:models/intermediate", "path:models/marts/profiles",
                                    "path:models/gates/gate_profiles_cleaned.sql",
                                    "--exclude", "path:models/intermediate/int_enrichment__attributes.sql"])
    return root, warehouse, out


def profiles(warehouse: Path) -> dict[str, dict]:
    return {r["person_id"]: r for r in rows(warehouse, "select * from marts.profiles_cleaned")}


def test_dbt_build_runs_unit_tests_and_singular_consent_test(built):
    _, _, out = built
    for name in ("profiles_cleaned::profiles_cleaned_consent_is_strictest_through_a_merge",
                 "profiles_cleaned::profiles_cleaned_suppression_is_sticky_through_a_merge",
                 "profiles_cleaned::profiles_cleaned_email_is_the_most_recent_valid_address",
                 "profiles_cleaned::profiles_cleaned_erasure_nulls_personal_data",
                 "profiles_cleaned::profiles_cleaned_names_and_location_survive_by_rule",
                 "int_persons__emails::int_persons__emails_collects_every_record_and_identify_trait",
                 "assert_consent_never_more_permissive"):
        assert f"PASS {name} " in out, name
    assert "WARN=0 ERROR=0" in out


def test_profiles_cleaned_one_row_per_person_including_non_crm_persons(built):
    _, wh, _ = built
    p = profiles(wh)
    assert set(p) == {"p_anna", "p_ben", "p_cara", "p_dora", "p_app", "p_anon"}
    assert (p["p_app"]["has_crm_record"], p["p_app"]["is_anonymous"], p["p_app"]["contact_count"]) == (False, False, 0)
    assert (p["p_anon"]["has_crm_record"], p["p_anon"]["is_anonymous"]) == (False, True)
    assert p["p_anna"]["contact_ids"] == ["c1", "c2"] and p["p_anna"]["user_ids"] == ["c1"]
    assert p["p_anna"]["anonymous_ids"] == ["anon-anna"] and p["p_anna"]["contact_count"] == 2
    assert p["p_anon"]["contact_ids"] == [] and p["p_anon"]["anonymous_ids"] == ["anon-x"]
    # no CRM record: no CRM-declared attribute and no consent
    assert p["p_app"]["email"] is None and p["p_app"]["email_opt_in"] is None


def test_profiles_cleaned_survivorship_rules(built):
    _, wh, _ = built
    anna, ben, cara = (profiles(wh)[k] for k in ("p_anna", "p_ben", "p_cara"))
    # email: the most recent valid address (c2 is newer than c1); cara's newest is malformed -> the older valid
    assert anna["email"] == "anna.m@example.com" and ben["email"] == "ben@example.com"
    assert cara["email"] == "cara@example.com"
    # phone: the most recent valid one (c2's is invalid -> c1's)
    assert anna["phone_e164"] == "+4915111111111" and ben["phone_e164"] == "+4915133333333"
    # names: the most frequent folded form in its most recent spelling; ben: 'ben' vs 'benn' 1-1 -> most recent
    assert (anna["first_name"], anna["last_name"]) == ("Änna", "Muster")
    assert ben["first_name"] == "Ben"
    # gender, birth_date: most recent non-NULL
    assert (anna["gender"], str(anna["birth_date"])) == ("female", "1990-05-01")
    assert cara["gender"] == "female"
    # city, postal_code, country together from the most recent record with a city (never c2's 99999/AT)
    assert (anna["city"], anna["postal_code"], anna["country"]) == ("Berlin", "10115", "DE")
    assert (cara["city"], cara["postal_code"]) == ("Köln", "50667")
    # consent, strictest: true + false -> false; true + NULL -> NULL; true + true -> true
    assert (anna["email_opt_in"], ben["email_opt_in"], cara["email_opt_in"]) == (False, None, True)
    # time: first seen = the anonymous page view before login; last seen = the latest attributed event
    assert str(anna["created_at"]) == "2025-01-01 00:00:00"
    assert str(anna["first_seen_at"]) == "2024-12-01 09:00:00" and str(anna["last_seen_at"]) == "2026-04-01 10:00:00"
    assert str(ben["first_seen_at"]) == "2024-01-01 00:00:00" and str(ben["last_seen_at"]) == "2026-02-01 00:00:00"
    assert anna["weakest_link_probability"] == 0.97


def test_profiles_cleaned_suppression_is_sticky_and_erasure_removes_personal_data(built):
    _, wh, _ = built
    p = profiles(wh)
    # only ben's second record's address is suppressed; cara only through an identify-trait address
    assert (p["p_ben"]["is_suppressed"], p["p_ben"]["suppression_reasons"]) == (True, ["unsubscribed"])
    assert (p["p_cara"]["is_suppressed"], p["p_cara"]["suppression_reasons"]) == (True, ["bounced"])
    assert (p["p_anna"]["is_suppressed"], p["p_anna"]["suppression_reasons"]) == (False, [])
    dora = p["p_dora"]
    assert dora["is_erased"] and dora["is_suppressed"] and dora["suppression_reasons"] == ["erasure", "unsubscribed"]
    for col in ("email", "phone_e164", "first_name", "last_name", "gender", "birth_date", "city",
                "postal_code", "country"):
        assert dora[col] is None, col
    assert (dora["contact_ids"], dora["email_count"], dora["phone_count"]) == (["c7"], 0, 0)
    assert not any(r["is_erased"] for k, r in p.items() if k != "p_dora")


def test_profile_emails_and_phones_rows(built):
    _, wh, _ = built
    emails = {(r["person_id"], r["email"]): r for r in rows(wh, "select * from marts.profile_emails")}
    assert set(emails) == {
        ("p_anna", "anna@example.com"), ("p_anna", "anna.m@example.com"),
        ("p_ben", "ben@example.com"), ("p_ben", "ben.old@example.com"),
        ("p_cara", "cara@example.com"), ("p_cara", "cara@@example"), ("p_cara", "cara.app@example.com"),
        ("p_app", "app@example.com")}                                  # nothing for erased p_dora
    assert sorted(k for k, r in emails.items() if r["is_primary"]) == [          # profiles_cleaned's choice
        ("p_anna", "anna.m@example.com"), ("p_ben", "ben@example.com"), ("p_cara", "cara@example.com")]
    anna = emails[("p_anna", "anna@example.com")]
    assert (anna["source"], anna["has_identify_trait"], anna["contact_ids"]) == ("crm", True, ["c1"])
    app = emails[("p_cara", "cara.app@example.com")]
    assert (app["source"], app["email_status"], app["contact_ids"], app["is_suppressed"]) == (
        "identify", None, [], True)
    assert emails[("p_cara", "cara@@example")]["email_status"] == "malformed"
    assert {k for k, r in emails.items() if r["is_suppressed"]} == {
        ("p_ben", "ben.old@example.com"), ("p_cara", "cara.app@example.com")}
    phones = {(r["person_id"], r["phone_e164"]): r for r in rows(wh, "select * from marts.profile_phones")}
    assert set(phones) == {("p_anna", "+4915111111111"), ("p_ben", "+4915133333333"), ("p_ben", "+4915144444444")}
    assert sorted(k for k, r in phones.items() if r["is_primary"]) == [
        ("p_anna", "+4915111111111"), ("p_ben", "+4915133333333")]
    counts = {k: (r["email_count"], r["phone_count"]) for k, r in profiles(wh).items()}
    assert counts == {"p_anna": (2, 1), "p_ben": (2, 2), "p_cara": (3, 0), "p_dora": (0, 0),
                      "p_app": (1, 0), "p_anon": (0, 0)}


def test_events_and_orders_are_attributed(built):
    _, wh, _ = built
    events = {r["message_id"]: (r["person_id"], r["attributed_by"])
              for r in rows(wh, "select * from intermediate.int_events__attributed")}
    assert events == {"e1": ("p_anna", "anonymous_id"), "e2": ("p_anna", "user_id"), "e3": ("p_anna", "user_id"),
                      "e4": ("p_cara", "user_id"), "e5": ("p_app", "user_id"), "e6": ("p_anon", "anonymous_id"),
                      "e7": ("p_anon", "anonymous_id")}                 # unknown user id -> its anonymous id
    orders = {r["order_id"]: (r["person_id"], r["attributed_by"], r["is_unattributed"])
              for r in rows(wh, "select * from intermediate.int_orders__attributed")}
    assert orders == {"o1": ("p_anna", "contact_id", False), "o2": ("p_ben", "email", False),
                      "o3": (None, None, True), "o4": (None, None, True), "o5": (None, None, True)}


# ---------- the gate


def _copy(built, name: str) -> Path:
    root, warehouse, _ = built
    target = root / f"{name}.duckdb"
    shutil.copy(warehouse, target)
    return target


def run_gate(warehouse: Path, tmp_path: Path, max_cluster_size: int = 8) -> dg.AssetCheckEvaluation:
    """Execute the check in a real run (only the check; profiles_cleaned is an external spec here).

    A direct call with dg.build_asset_check_context() cannot work: the gate reads the run's as_of tag
    through context.run, which a directly built context does not have.
    """
    result = dg.materialize(
        [dg.AssetSpec("profiles_cleaned"), ge_profiles_cleaned_critical],
        selection=dg.AssetSelection.checks(ge_profiles_cleaned_critical),
        resources={"duckdb": DuckDBResource(database=str(warehouse)),
                   "gx": GreatExpectationsResource(suites_dir=str(SUITES_DIR), data_docs_dir=str(tmp_path / "docs")),
                   "microseg": MicrosegResource(landing=str(tmp_path), reports=str(tmp_path / "r"),
                                                max_cluster_size=max_cluster_size)},
        tags={AS_OF_TAG: AS_OF}, raise_on_error=False)
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.check_name == "ge_profiles_cleaned_critical"
    assert result.success == evaluation.passed                          # blocking: a failure fails the step
    return evaluation


def failed_columns(evaluation: dg.AssetCheckEvaluation) -> list:
    return [f["column"] for f in evaluation.metadata["failed_expectations"].value]


def test_gate_is_blocking_on_profiles_cleaned():
    spec = next(iter(ge_profiles_cleaned_critical.check_specs))
    assert spec.blocking and spec.asset_key == dg.AssetKey(["profiles_cleaned"])
    # it reads its frame, the dbt view gate_profiles_cleaned, so it runs after that too
    assert dg.AssetKey(["gate_profiles_cleaned"]) in {d.asset_key for d in spec.additional_deps}


def test_gate_passes_on_good_profiles(built, tmp_path):
    evaluation = run_gate(built[1], tmp_path)
    assert evaluation.passed, evaluation.metadata["failed_expectations"]
    assert evaluation.metadata["rows_validated"].value == 6 and evaluation.metadata["as_of"].value == AS_OF


def test_gate_fails_when_a_cluster_exceeds_the_cap(built, tmp_path):
    evaluation = run_gate(built[1], tmp_path, max_cluster_size=1)       # anna, ben and cara merged 2 records
    assert not evaluation.passed
    (failed,) = evaluation.metadata["failed_expectations"].value
    assert (failed["column"], failed["unexpected_count"]) == ("within_size_cap", 3)


def test_gate_fails_when_consent_is_more_permissive_than_a_record(built, tmp_path):
    warehouse = _copy(built, "permissive")
    with duckdb.connect(str(warehouse)) as con:                         # ben has a NULL record: unknown
        con.execute("update marts.profiles_cleaned set email_opt_in = true where person_id = 'p_ben'")
    evaluation = run_gate(warehouse, tmp_path)
    assert not evaluation.passed and failed_columns(evaluation) == ["consent_not_more_permissive"]


def test_gate_fails_when_a_profile_email_is_not_valid(built, tmp_path):
    warehouse = _copy(built, "invalid_email")
    with duckdb.connect(str(warehouse)) as con:                         # cara's malformed record's address
        con.execute("update marts.profiles_cleaned set email = 'cara@@example' where person_id = 'p_cara'")
    evaluation = run_gate(warehouse, tmp_path)
    assert not evaluation.passed and failed_columns(evaluation) == ["email_is_valid"]


def test_gate_fails_when_an_erased_person_keeps_personal_data(built, tmp_path):
    warehouse = _copy(built, "erased")
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update marts.profiles_cleaned set city = 'Bonn' where person_id = 'p_dora'")
    evaluation = run_gate(warehouse, tmp_path)
    assert not evaluation.passed and failed_columns(evaluation) == ["erased_has_no_personal_data"]
