"""User SQL inside the server: the CLI's rules, and a check of the parse tree beside them.

``/api/sql`` holds user SQL to reading the store with the two layers ``transship sql`` has
(:mod:`transship.store.sqlcheck`): DuckDB's parser admits one statement of a reading kind,
and the statement runs on a sandboxed DuckDB instance (``enable_external_access = false``,
configuration locked: every connection the server opens, :mod:`transship.serve.state`),
inside a transaction that is rolled back, under the time and row limits.

This module adds a third layer, kept as defence in depth (docs/api.md says why): where
DuckDB's ``json_serialize_sql`` can represent the statement, every table it names must be a
table or view of the store, a system view or a CTE in scope (a quoted file name,
``FROM '/etc/passwd'``, is a table name that is none of these), and every table function
must be on :data:`TABLE_FUNCTIONS` (catalog listings, ``range``, ``unnest``: no ``read_*``,
``glob``, ``query``, ``checkpoint``, ``duckdb_settings``). The sandbox already refuses
files; this check also refuses what the sandbox allows but a web client has no business
with (SQL text run by ``query()``, the instance's settings and secrets, a checkpoint), and
names the culprit in its message. EXPLAIN is checked through the statement it explains;
PIVOT and PRAGMA, which ``json_serialize_sql`` cannot represent, are held by the first two
layers alone, as in the CLI.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import duckdb

from transship.exc import InvalidInput
from transship.store import Store
from transship.store.sqlcheck import check_read_only_sql, explained

#: Table functions user SQL may call: catalog listings and generators, nothing that reads
#: a file, runs SQL text or changes the database.
TABLE_FUNCTIONS = frozenset(
    {
        "range",
        "generate_series",
        "unnest",
        "repeat",
        "duckdb_tables",
        "duckdb_views",
        "duckdb_columns",
        "duckdb_schemas",
        "duckdb_types",
        "duckdb_constraints",
        "duckdb_indexes",
        "duckdb_keywords",
        "pragma_table_info",
        "pragma_show",
        "pragma_version",
        "json_each",
        "json_tree",
    }
)
#: Schemas whose views are the catalog (information_schema.tables, pg_catalog.pg_tables).
SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog"})
#: ``SHOW`` targets that list the catalog.
SHOW_SPECIAL = frozenset({"tables", "databases", "all_tables", "variables"})


def _relations(store: Store) -> frozenset[str]:
    """Names a query may read: the store's tables and views (main) and the system views."""
    rows = store.fetchall(
        "SELECT lower(view_name) FROM duckdb_views() UNION "
        "SELECT lower(table_name) FROM duckdb_tables() WHERE database_name = current_database()"
    )
    return frozenset(str(r[0]) for r in rows)


def _unquote(name: str) -> str:
    if len(name) >= 2 and name[0] == name[-1] == '"':
        return name[1:-1].replace('""', '"')
    return name


def _walk(node: Any, ctes: frozenset[str]) -> Iterator[tuple[dict[str, Any], frozenset[str]]]:
    """Every object in the parse tree with the CTE names in scope where it stands."""
    if isinstance(node, dict):
        cte_map = node.get("cte_map")
        if isinstance(cte_map, dict):
            names = {
                str(entry.get("key", "")).lower()
                for entry in cte_map.get("map", [])
                if isinstance(entry, dict)
            }
            ctes = ctes | frozenset(names)
        yield node, ctes
        for value in node.values():
            yield from _walk(value, ctes)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value, ctes)


def check_tree(tree: dict[str, Any], relations: frozenset[str]) -> None:
    """Refuse a parsed statement that names anything but the store's relations."""
    for node, ctes in _walk(tree, frozenset()):
        kind = node.get("type")
        if kind == "BASE_TABLE":
            schema = str(node.get("schema_name") or "").lower()
            catalog = str(node.get("catalog_name") or "").lower()
            name = str(node.get("table_name") or "")
            if schema in SYSTEM_SCHEMAS and not catalog:
                continue
            if not catalog and not schema and name.lower() in ctes:
                continue
            if catalog or schema not in ("", "main") or name.lower() not in relations:
                raise InvalidInput(
                    f"refused: {name!r} is not a table or view of the store "
                    "(SQL here reads the store and nothing else)"
                )
        elif kind == "TABLE_FUNCTION":
            function = node.get("function") or {}
            fname = str(function.get("function_name") or "").lower()
            fschema = str(function.get("schema") or "").lower()
            if fname not in TABLE_FUNCTIONS or fschema not in ("", "main"):
                raise InvalidInput(
                    f"refused: table function {fname or '?'}() (SQL here reads the store and "
                    "nothing else)"
                )
        elif kind == "SHOW_REF":
            name = _unquote(str(node.get("table_name") or ""))
            if name and name.lower() not in SHOW_SPECIAL and name.lower() not in relations:
                raise InvalidInput(f"refused: {name!r} is not a table or view of the store")


def check_user_sql(store: Store, sql: str) -> None:
    """All of the module docstring's checks but the run itself."""
    check_read_only_sql(sql)
    [statement] = duckdb.extract_statements(sql)
    kind = str(getattr(statement.type, "name", statement.type)).upper()
    if kind == "EXPLAIN":
        inner = explained(sql)
        if inner is not None:
            check_user_sql(store, inner)
        return
    if kind != "SELECT":  # PIVOT (MULTI) and reading PRAGMAs: the CLI's check and the sandbox
        return
    [(text,)] = store.fetchall("SELECT json_serialize_sql(?::VARCHAR)", [sql])
    tree = json.loads(text)
    if tree.get("error"):
        raise InvalidInput(
            f"refused: this statement cannot be checked over HTTP ({tree.get('error_message')!s:.200}; "
            "use `transship sql`)"
        )
    check_tree(tree, _relations(store))
