"""The data behind every page of the web UI and every figure of the report.

One function per page or figure, each returning plain JSON-ready dicts: the web UI renders
them with Jinja templates and serves them as the page's JSON twin; the HTML report draws
the same dicts as inline SVG. Both therefore show the same numbers with the same names,
years, source lines and SIMULATED labels.

The functions call the library (``transship.flows...``, the store) and read its results
through small adapters that accept fields a newer library adds (``interval_level``, a
leg's ``basis``, a hub's ``scores`` per kind) without hiding errors: a failure in the
library propagates to the caller, who shows it.
"""
