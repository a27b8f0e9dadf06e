-- One row per value the enrichment step found for a person and attribute (person_id, attribute, value, confidence,
-- source, obtained_at), with its provenance: the union of the Python assets' long tables
-- source('enrichment', '<provenance>_attributes') for every provenance but declared (third_party, reference,
-- inferred; macro enriched_provenances). A thin model over tables our own Python code writes, as int_identity__*
-- are (see _enrichment__sources.yml): the one model that calls these sources.
{%- set found = enriched_provenances() | reject('equalto', 'declared') | list %}

with
{%- for provenance in found %}
{{ provenance }}_attributes as (
    select * from {{ source('enrichment', provenance ~ '_attributes') }}
),
{% endfor %}
final as (
    {%- for provenance in found %}
    select
        person_id,
        attribute,
        value,
        confidence,
        source,
        obtained_at,
        '{{ provenance }}' as provenance
    from {{ provenance }}_attributes
    {{ "union all" if not loop.last }}
    {%- endfor %}
)

select * from final
