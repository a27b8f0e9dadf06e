"""The tables the dbt models read, empty, for tests that hand-write a few rows into them and run dbt on top:
the identity step's outputs and the staging views, with the columns the pipeline gives them."""

import duckdb

TABLES = {
    "identity.contacts_normalized": """
        contact_id varchar, email varchar, email_status varchar, email_domain varchar, email_hash varchar,
        first_name varchar, last_name varchar, first_name_folded varchar, last_name_folded varchar,
        phone_e164 varchar, phone_status varchar, phone_hash varchar, gender varchar, birth_date date,
        birth_year integer, city varchar, city_folded varchar, postal_code varchar, country varchar,
        email_opt_in boolean, signup_source varchar, created_at timestamp, updated_at timestamp,
        source_file varchar, line_no bigint""",
    "identity.identity_map": "id_type varchar, id_value varchar, person_id varchar, linked_by varchar, "
                             "probability double",
    "identity.clusters": "person_id varchar, contact_count integer, weakest_link_probability double",
    "erasure.tombstones": "key_type varchar, key_sha256 varchar, request_id varchar, erased_at timestamp",
    "staging.stg_tracking__events": """
        message_id varchar, user_id varchar, anonymous_id varchar, event_type varchar, event_name varchar,
        page_name varchar, properties varchar, product_id varchar, category varchar, price double,
        quantity integer, cart_id varchar, order_id varchar, order_total double, checkout_value double,
        currency varchar, search_query varchar, list_id varchar, video_id varchar, campaign_id varchar,
        email_id varchar, variant varchar, url varchar, trait_email varchar, page_url varchar,
        user_agent varchar, utm_source varchar, utm_medium varchar, utm_campaign varchar, occurred_at timestamp,
        received_date date, is_late_arrival boolean, source_file varchar, line_no bigint""",
    "staging.stg_shop__orders": "order_id varchar, contact_id varchar, email varchar, ordered_at timestamp, "
                                "status varchar, currency varchar, total decimal(18, 2), is_unattributed boolean, "
                                "source_file varchar, line_no bigint",
    "staging.stg_shop__order_items": "order_item_id varchar, order_id varchar, product_id varchar, quantity integer, "
                                     "unit_price decimal(18, 2), source_file varchar, line_no bigint",
    "staging.stg_shop__products": "product_id varchar, product_name varchar, category varchar, subcategory varchar, "
                                  "price decimal(18, 2), is_new_arrival boolean, launched_at timestamp, "
                                  "product_url varchar, image_url varchar, source_file varchar, line_no bigint",
    "staging.stg_esp__suppressions": "email_sha256 varchar, reason varchar, suppressed_at timestamp, source_file varchar, "
                                     "line_no bigint",
}


def create_fixture_tables(con: duckdb.DuckDBPyConnection, names=tuple(TABLES)) -> None:
    """Create the schemas and the named tables (all by default), empty, in UTC."""
    con.execute("set TimeZone = 'UTC'")
    for schema in sorted({name.split(".")[0] for name in names}):
        con.execute(f"create schema if not exists {schema}")
    for name in names:
        con.execute(f"create table {name} ({TABLES[name]})")
