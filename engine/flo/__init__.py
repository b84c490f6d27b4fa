"""FLO (Feature Learning & Observation): what a live server is and can do, and what its
databases hold, learned by probing and reading catalogs (queries are data in
transports/flo/<family>/).

    from engine import connect
    from engine.flo import learn_server, list_databases
    with connect(url) as s:
        server = learn_server(s)          # LearnedServer: capabilities with evidence
        names = list_databases(s)         # user databases, sorted
        db = learn_database(s, names[0])  # LearnedDatabase: IR snapshot, profile_hash
"""

from __future__ import annotations

from engine.flo.database import LearnedDatabase, learn_database
from engine.flo.model import Capability, DatabaseEntry, Evidence, LearnedServer
from engine.flo.server import databases, learn_server, list_databases

__all__ = [
    "Capability",
    "DatabaseEntry",
    "Evidence",
    "LearnedDatabase",
    "LearnedServer",
    "databases",
    "learn_database",
    "learn_server",
    "list_databases",
]
