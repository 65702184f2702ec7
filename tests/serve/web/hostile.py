"""Hostile strings every page and the report must show as text, never run or interpret:
markup and script (XSS), spreadsheet formulas, SQL fragments, template syntax, terminal
escapes and bidirectional overrides."""

from __future__ import annotations

HOSTILE = [
    '<script>alert("xss-1")</script>',
    '"><img src=x onerror=alert("xss-2")>',
    "</script><script>alert('xss-3')</script>",
    "=cmd|' /C calc'!A0",
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "@SUM(1,2)",
    "'; DROP TABLE shipments; --",
    "1' OR '1'='1",
    "{{ 7*7 }} {% raw %}",
    "javascript:alert('xss-4')",
    "\x1b[31mred\x1b[0m bell\x07",
    "\u202egnp.exe",
]
#: What must never appear in a page: each would be live markup or evaluated template.
FORBIDDEN = [
    '<script>alert("xss-1")',
    '<img src=x onerror=alert("xss-2")>',
    "<script>alert('xss-3')",
    " 49 ",
]
