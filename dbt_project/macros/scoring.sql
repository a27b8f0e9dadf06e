{#- Behavior scoring (models/marts/scoring): the run's as_of, the settings, decay and squashing (STYLE §5: portable SQL,
    engine-specific bits behind adapter.dispatch). Settings come from the var `scoring` (orchestration/lib/scoring/config.py
    validates scoring.yml and passes it whole), falling back key by key to `scoring_defaults` in dbt_project.yml. -#}

{#- The var as_of (ISO-8601 text, e.g. 2026-11-01T00:00:00Z; without offset = UTC) as a naive UTC datetime. -#}
{% macro scoring_as_of_datetime() -%}
    {%- set text = var('as_of') | string | trim -%}
    {%- set pattern = '^\\d{4}-\\d{2}-\\d{2}([T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,6})?)?)?(Z|[+-]\\d{2}:?\\d{2})?$' -%}
    {%- if not modules.re.match(pattern, text) -%}
        {{ exceptions.raise_compiler_error("var as_of: expected an ISO-8601 instant like 2026-11-01T00:00:00Z, got '" ~ text ~ "'") }}
    {%- endif -%}
    {%- set parsed = modules.datetime.datetime.fromisoformat(text[:-1] ~ '+00:00' if text.endswith('Z') else text) -%}
    {%- if parsed.tzinfo is not none -%}
        {%- set parsed = parsed.astimezone(modules.pytz.utc).replace(tzinfo=none) -%}
    {%- endif -%}
    {{ return(parsed) }}
{%- endmacro %}

{#- as_of minus `days_before` days, as a timestamp literal (computed at compile time: no interval arithmetic). -#}
{% macro scoring_as_of(days_before=0) -%}
    {%- set instant = scoring_as_of_datetime() - modules.datetime.timedelta(days=days_before | float) -%}
    cast('{{ instant.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}

{#- `column` in the half-open window (as_of - days, as_of], the segment DSL's `within`. -#}
{% macro scoring_within(column, days) -%}
    ({{ column }} > {{ scoring_as_of(days) }} and {{ column }} <= {{ scoring_as_of() }})
{%- endmacro %}

{#- One setting: var('scoring')[section][key], else var('scoring_defaults')[section][key]; a nested key is
    `section` + 'tiers.dormant'-style dotted `key`. -#}
{% macro scoring_setting(section, key) -%}
    {%- set given = var('scoring', {}) or {} -%}
    {%- set defaults = var('scoring_defaults') -%}
    {%- set path = key.split('.') -%}
    {%- set ns = namespace(given=given.get(section), default=defaults[section]) -%}
    {%- for part in path -%}
        {%- set ns.given = ns.given.get(part) if ns.given is mapping else none -%}
        {%- set ns.default = ns.default[part] -%}
    {%- endfor -%}
    {{ return(ns.default if ns.given is none else ns.given) }}
{%- endmacro %}

{#- A SQL string literal. -#}
{% macro scoring_quote(text) -%}
    '{{ text | string | replace("'", "''") }}'
{%- endmacro %}

{#- The weight of an interaction named `name_expr` in a weights map (event name -> number); 0 when unlisted. -#}
{% macro scoring_weight(name_expr, weights) -%}
    {%- if weights | length == 0 -%}
        cast(0 as double)
    {%- else -%}
        case {{ name_expr }}
        {%- for name, weight in weights | dictsort %}
            when {{ scoring_quote(name) }} then cast({{ weight | float }} as double)
        {%- endfor %}
            else cast(0 as double)
        end
    {%- endif -%}
{%- endmacro %}

{#- The name an event weighs under: a track event's name; every page event is 'Page Viewed'; else NULL. -#}
{% macro scoring_interaction_name(event_type='event_type', event_name='event_name') -%}
    case when {{ event_type }} = 'page' then 'Page Viewed' when {{ event_type }} = 'track' then {{ event_name }} end
{%- endmacro %}

{#- The contract's email events (DATA_CONTRACT §1): they happen in the mailbox, not on the site, so no session. -#}
{% macro scoring_email_event_names() -%}
    {{ return(['Email Delivered', 'Email Opened', 'Email Link Clicked', 'Email Bounced', 'Email Marked as Spam',
               'Unsubscribed']) }}
{%- endmacro %}

{#- Seconds since 1970-01-01 of a timestamp, fractional. -#}
{% macro epoch_seconds(column) -%}
    {{ return(adapter.dispatch('epoch_seconds', 'microseg')(column)) }}
{%- endmacro %}
{% macro default__epoch_seconds(column) -%}
    epoch({{ column }})
{%- endmacro %}
{% macro spark__epoch_seconds(column) -%}
    (unix_micros({{ column }}) / 1000000.0)
{%- endmacro %}

{#- Age in (fractional) days of a timestamp at as_of: 0 at as_of, 7.0 exactly one week before. -#}
{% macro scoring_age_days(column) -%}
    (({{ epoch_seconds(scoring_as_of()) }} - {{ epoch_seconds(column) }}) / 86400.0)
{%- endmacro %}

{#- weight * 0.5 ^ (age_days / half_life_days), as an exact decimal so that sums do not depend on the order
    rows are added in (reproducible to the last digit). -#}
{% macro scoring_decayed(weight_expr, column, half_life_days) -%}
    cast(({{ weight_expr }}) * power(0.5, {{ scoring_age_days(column) }} / {{ half_life_days | float }}) as decimal(38, 9))
{%- endmacro %}

{#- The monotone squashing of a raw sum >= 0 onto 0-100: 100 * (1 - exp(-raw / scale)), 2 decimals. -#}
{% macro scoring_squash(raw_expr, scale) -%}
    round(100.0 * (1.0 - exp(-cast({{ raw_expr }} as double) / {{ scale | float }})), 2)
{%- endmacro %}
