{#- Consent, written once (DESIGN: consent is a hard constraint). A record's or profile's email_opt_in as a rank:
    false 0 < NULL (unknown, which is not consent) 1 < true 2, so the strictest of several records is a min().
    A profile may never be more permissive than the strictest of its source records, and a profile without a
    record counts as unknown. profiles_cleaned applies it, gate_profiles_cleaned (the blocking GE gate's frame)
    and the singular test assert_consent_never_more_permissive check it. -#}

{#- The rank of a consent column: false 0, NULL 1, true 2 (never NULL). -#}
{% macro consent_rank(column) -%}
    case when {{ column }} then 2 when {{ column }} is null then 1 else 0 end
{%- endmacro %}

{#- The consent a rank stands for, the inverse of consent_rank: 2 true, 0 false, 1 (or NULL) unknown, i.e. NULL. -#}
{% macro consent_of_rank(rank) -%}
    case {{ rank }} when 2 then true when 0 then false end
{%- endmacro %}

{#- True when the consent `column` is no more permissive than `min_record_rank`, the lowest consent_rank of the
    source records (NULL: there is none, which counts as unknown). Never NULL. -#}
{% macro consent_within_records(column, min_record_rank) -%}
    ({{ consent_rank(column) }} <= coalesce({{ min_record_rank }}, 1))
{%- endmacro %}
