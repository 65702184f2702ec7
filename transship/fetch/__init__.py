"""Fetch: the only code in transship that touches the network, and only when a user asks.

``transship fetch comtrade|baci|opensanctions|sipri`` download a public source's files into a
folder with a manifest (what was asked, when, the bytes' sha256, rows, the licence), then
ingest them with the ordinary pipeline, so a stored row's provenance reaches back to the call
that fetched it (``sources.sha256`` = ``fetches.sha256``). Nothing else in the package opens
a socket to another host; ``tests/test_offline.py`` runs the suite's demo with such sockets
refused.
"""
