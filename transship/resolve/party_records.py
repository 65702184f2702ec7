"""Party records: every name in every role of every source row in the store, as one Arrow
table (step 1 of resolution, :mod:`transship.resolve.resolution`; docs/resolve.md,
"Resolution"). :func:`read_records` runs :data:`RECORDS_SQL` and adds the parties that
claims name (:func:`transship.resolve.claim_parties.claim_records`); every reader of records
gives :data:`RECORD_COLUMNS`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    from transship.store.db import Store

#: The store's party records (:mod:`transship.resolve.resolution`, step 1). Identifiers are
#: ``kind:value``: an FtM entity's are read from its properties by kind (``innCode`` ->
#: ``inn:``, as :data:`transship.resolve.parties.IDENTIFIER_PROPS`), so that two different
#: INNs conflict; the entity's other identifiers are ``id:``.
_RECORDS_SQL = """
WITH src AS (
    SELECT 'licences' AS source_table, record_id, dataset, 'exporter' AS role,
           'LegalEntity' AS schema, exporter AS name, authority_country AS country,
           CASE WHEN nullif(trim(exporter_id), '') IS NULL THEN []::VARCHAR[]
                ELSE ['registration:' || trim(exporter_id)] END AS identifiers,
           source_sha256, line, simulated
    FROM licences
    UNION ALL
    SELECT 'licences', record_id, dataset, 'consignee', 'LegalEntity', consignee,
           consignee_country, []::VARCHAR[], source_sha256, line, simulated FROM licences
    UNION ALL
    SELECT 'licences', record_id, dataset, 'end_user', 'LegalEntity', end_user,
           end_user_country, []::VARCHAR[], source_sha256, line, simulated FROM licences
    UNION ALL
    SELECT 'shipments', record_id, dataset, 'declarant', 'LegalEntity', declarant,
           NULL, []::VARCHAR[], source_sha256, line, simulated FROM shipments
    UNION ALL
    SELECT 'shipments', record_id, dataset, 'sender', 'LegalEntity', sender,
           sender_country, []::VARCHAR[], source_sha256, line, simulated FROM shipments
    UNION ALL
    SELECT 'shipments', record_id, dataset, 'receiver', 'LegalEntity', receiver,
           receiver_country, []::VARCHAR[], source_sha256, line, simulated FROM shipments
    UNION ALL
    SELECT 'certificates', record_id, dataset, 'exporter', 'LegalEntity', exporter,
           exporter_country, []::VARCHAR[], source_sha256, line, simulated FROM certificates
    UNION ALL
    SELECT 'certificates', record_id, dataset, 'consignee', 'LegalEntity', consignee,
           consignee_country, []::VARCHAR[], source_sha256, line, simulated FROM certificates
    UNION ALL
    SELECT 'certificates', record_id, dataset, 'end_user', 'LegalEntity', end_user,
           end_user_country, []::VARCHAR[], source_sha256, line, simulated FROM certificates
    UNION ALL
    SELECT 'certificates', record_id, dataset, 'issuing_authority', 'PublicBody',
           issuing_authority, end_user_country, []::VARCHAR[], source_sha256, line, simulated
    FROM certificates
    UNION ALL
    SELECT 'licence_stats', record_id, dataset, 'mission', 'Organization', mission,
           NULL, []::VARCHAR[], source_sha256, line, simulated
    FROM licence_stats WHERE kind = 'mission'
)
SELECT source_table || ':' || record_id || ':' || role AS party_id, source_table, record_id,
       dataset, role, schema, trim(name) AS name, lower(nullif(trim(country), '')) AS country,
       []::VARCHAR[] AS names, identifiers, source_sha256, line, simulated
FROM src WHERE nullif(trim(name), '') IS NOT NULL
UNION ALL
SELECT 'entity:' || p.id, 'entities', p.id, p.dataset,
       CASE WHEN p.listed OR coalesce(p.target, false) THEN 'listed' ELSE 'entity' END,
       p.schema, coalesce(p.name, p.names[1], p.aliases[1]),
       p.country, list_distinct(list_concat(p.names, coalesce(p.aliases, []::VARCHAR[]))),
       list_concat({typed},
                   list_transform(list_filter(coalesce(p.identifiers, []::VARCHAR[]),
                                              lambda x: NOT list_contains({raw}, x)),
                                  lambda x: 'id:' || x)),
       e.source_sha256, e.line, p.simulated
FROM parties p JOIN entities_current e ON e.id = p.id
WHERE coalesce(p.name, p.names[1], p.aliases[1]) IS NOT NULL
ORDER BY 1
"""


def _records_sql() -> str:
    from transship.resolve.parties import IDENTIFIER_PROPS

    def values(prop: str) -> str:
        return f"coalesce(json_extract_string(e.properties, '$.{prop}[*]'), []::VARCHAR[])"

    typed = ", ".join(
        f"list_transform({values(prop)}, lambda x: '{kind}:' || x)"
        for prop, (kind, _fmt) in IDENTIFIER_PROPS.items()
    )
    raw = ", ".join(values(prop) for prop in IDENTIFIER_PROPS)
    return _RECORDS_SQL.format(
        typed=f"list_concat({typed})" if len(IDENTIFIER_PROPS) > 1 else typed,
        raw=f"list_concat({raw})" if len(IDENTIFIER_PROPS) > 1 else raw,
    )


RECORDS_SQL = _records_sql()

#: Record columns every reader of records (store, benchmark, tests) gives.
RECORD_COLUMNS = (
    "party_id",
    "source_table",
    "record_id",
    "dataset",
    "role",
    "schema",
    "name",
    "country",
    "names",
    "identifiers",
    "source_sha256",
    "line",
    "simulated",
)


def read_records(store: Store) -> pa.Table:
    """Every party record in the store (:data:`RECORDS_SQL`), then the parties that claims
    name (:func:`transship.resolve.claim_parties.claim_records`)."""
    from transship.resolve.claim_parties import claim_records

    records = store.query(RECORDS_SQL)
    named = claim_records(store, records.schema)
    if named.num_rows == 0:
        return records
    return pa.concat_tables([records, named])
