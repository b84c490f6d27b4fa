"""The schema explorer: pages that read a connection's learned snapshots, never the live
server, so browsing a 1,000-table database costs a cache lookup rather than a catalog scan.

snapshots.py loads a stored snapshot once per (database, profile hash); catalog.py answers
the questions the pages ask (lists, search, foreign keys both ways, one table's DDL);
capabilities.py shapes the learned server facts; er.py draws the ER diagram as SVG.
"""
