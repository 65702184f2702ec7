-- FollowTheMoney entities as analysts query them: parties, sanctions, ownership edges.
--
-- `entities` keeps every FtM entity line as read (properties as JSON, values always lists
-- of strings, countries already normalised to lowercase rigour codes by the reader). The
-- views below read the properties with DuckDB's JSON functions, so nothing is copied and a
-- re-ingested list shows up at once.
--
-- One entity id may arrive from several files (a newer release of the same list, or the
-- same entity in two lists): `entities_current` keeps the row from the latest run for each
-- id (then the latest line), so the views list each entity once and a value that a newer
-- release dropped disappears with it. The older rows stay in `entities` for provenance.
--
-- Multi-valued properties: scalar columns take the first value (dates: the earliest start,
-- the latest end); the `*s` list columns keep all values.

-- FtM fields the entity line carries beside `properties` (yente and OpenSanctions exports):
-- `target` (the entity is itself listed, not only linked) and `last_change`.
ALTER TABLE entities ADD COLUMN target BOOLEAN;
ALTER TABLE entities ADD COLUMN last_change VARCHAR;

CREATE VIEW entities_current AS
SELECT *
FROM entities
QUALIFY row_number() OVER (PARTITION BY id ORDER BY run_id DESC, line DESC) = 1;

-- The LegalEntity family of FtM 4.x (LegalEntity, Person, Organization, Company, PublicBody):
-- every party that can own, export, receive or be sanctioned.
CREATE VIEW parties AS
SELECT
    id,
    schema,
    coalesce(caption, properties ->> '$.name[0]') AS name,
    coalesce(CAST(properties -> '$.name' AS VARCHAR[]), []::VARCHAR[]) AS names,
    list_concat(
        CAST(properties -> '$.alias' AS VARCHAR[]),
        CAST(properties -> '$.weakAlias' AS VARCHAR[]),
        CAST(properties -> '$.previousName' AS VARCHAR[])
    ) AS aliases,
    coalesce(
        properties ->> '$.country[0]',
        properties ->> '$.jurisdiction[0]',
        properties ->> '$.mainCountry[0]',
        properties ->> '$.nationality[0]',
        properties ->> '$.citizenship[0]'
    ) AS country,
    list_distinct(list_concat(
        CAST(properties -> '$.country' AS VARCHAR[]),
        CAST(properties -> '$.jurisdiction' AS VARCHAR[]),
        CAST(properties -> '$.mainCountry' AS VARCHAR[]),
        CAST(properties -> '$.nationality' AS VARCHAR[]),
        CAST(properties -> '$.citizenship' AS VARCHAR[])
    )) AS countries,
    coalesce(CAST(properties -> '$.topics' AS VARCHAR[]), []::VARCHAR[]) AS topics,
    list_has_any(
        coalesce(CAST(properties -> '$.topics' AS VARCHAR[]), []::VARCHAR[]),
        ['sanction', 'sanction.linked', 'sanction.control', 'export.control', 'debarment']
    ) AS listed,
    list_distinct(list_concat(
        CAST(properties -> '$.registrationNumber' AS VARCHAR[]),
        CAST(properties -> '$.innCode' AS VARCHAR[]),
        CAST(properties -> '$.ogrnCode' AS VARCHAR[]),
        CAST(properties -> '$.okpoCode' AS VARCHAR[]),
        CAST(properties -> '$.taxNumber' AS VARCHAR[]),
        CAST(properties -> '$.vatCode' AS VARCHAR[]),
        CAST(properties -> '$.leiCode' AS VARCHAR[]),
        CAST(properties -> '$.idNumber' AS VARCHAR[]),
        CAST(properties -> '$.imoNumber' AS VARCHAR[]),
        CAST(properties -> '$.swiftBic' AS VARCHAR[])
    )) AS identifiers,
    coalesce(properties ->> '$.incorporationDate[0]', properties ->> '$.birthDate[0]')
        AS founded_or_born,
    coalesce(CAST(properties -> '$.address' AS VARCHAR[]), []::VARCHAR[]) AS addresses,
    coalesce(CAST(properties -> '$.sourceUrl' AS VARCHAR[]), []::VARCHAR[]) AS source_urls,
    target,
    datasets,
    dataset,
    first_seen,
    last_seen,
    record_id,
    simulated
FROM entities_current
WHERE schema IN ('LegalEntity', 'Person', 'Organization', 'Company', 'PublicBody');

-- FtM `Sanction`: one listing of one entity by one authority (entity -> Thing).
CREATE VIEW sanctions AS
SELECT
    id,
    properties ->> '$.entity[0]' AS entity_id,
    properties ->> '$.authority[0]' AS authority,
    coalesce(CAST(properties -> '$.authority' AS VARCHAR[]), []::VARCHAR[]) AS authorities,
    properties ->> '$.authorityId[0]' AS authority_id,
    properties ->> '$.program[0]' AS program,
    properties ->> '$.programId[0]' AS program_id,
    list_min(CAST(properties -> '$.startDate' AS VARCHAR[])) AS start_date,
    list_max(CAST(properties -> '$.endDate' AS VARCHAR[])) AS end_date,
    list_min(CAST(properties -> '$.listingDate' AS VARCHAR[])) AS listing_date,
    properties ->> '$.country[0]' AS country,
    properties ->> '$.reason[0]' AS reason,
    properties ->> '$.status[0]' AS status,
    coalesce(CAST(properties -> '$.provisions' AS VARCHAR[]), []::VARCHAR[]) AS provisions,
    coalesce(CAST(properties -> '$.sourceUrl' AS VARCHAR[]), []::VARCHAR[]) AS source_urls,
    coalesce(datasets[1], dataset) AS dataset,
    datasets,
    record_id,
    simulated
FROM entities_current
WHERE schema = 'Sanction';

-- FtM `Ownership`: owner -owns-> asset (percentage as the source states it, as a number
-- when it parses as one).
CREATE VIEW ownerships AS
SELECT
    id,
    properties ->> '$.owner[0]' AS owner_id,
    properties ->> '$.asset[0]' AS asset_id,
    TRY_CAST(replace(properties ->> '$.percentage[0]', ',', '.') AS DOUBLE) AS percentage,
    properties ->> '$.percentage[0]' AS percentage_text,
    properties ->> '$.sharesCount[0]' AS shares_count,
    properties ->> '$.ownershipType[0]' AS ownership_type,
    properties ->> '$.role[0]' AS role,
    list_min(CAST(properties -> '$.startDate' AS VARCHAR[])) AS start_date,
    list_max(CAST(properties -> '$.endDate' AS VARCHAR[])) AS end_date,
    coalesce(datasets[1], dataset) AS dataset,
    datasets,
    record_id,
    simulated
FROM entities_current
WHERE schema = 'Ownership';
