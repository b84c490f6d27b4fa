"""A test-only tap: a plain blocking socket loop that drives `WireConnection`, recording
every byte in both directions as a transcript (`[{"dir": "s2c"|"c2s", "hex": ...}]`).

It is deliberately minimal (no TLS, no timeouts beyond a socket timeout): the real drivers
are H4's. It exists so the core can be tested against live servers on its own, and so
transcripts for replay tests can be recorded from real exchanges.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from engine.config import ConnectConfig
from engine.secret import Secret
from engine.wirevm import events as ev
from engine.wirevm.core import WireConnection
from engine.wirevm.packs import load_pack

TRANSCRIPTS = Path(__file__).parent / "transcripts"


def config_from_url(url: str, **overrides: Any) -> ConnectConfig:
    """Just enough URL parsing for the tap (the real parser is engine.url)."""
    from urllib.parse import unquote, urlsplit

    u = urlsplit(url)
    scheme = u.scheme
    kw: dict[str, Any] = dict(
        scheme=scheme,
        host=u.hostname,
        port=u.port,
        user=unquote(u.username or ""),
        password=Secret(unquote(u.password) if u.password is not None else None),
        database=(u.path.lstrip("/") or None),
        sslmode="disable",
    )
    kw.update(overrides)
    return ConnectConfig(**kw)


def pack_name_for(scheme: str) -> str:
    from engine.wirevm.packs import registry_entry

    return registry_entry(scheme)["pack"]


class Tap:
    """Drive one connection over a socket, recording the byte exchange."""

    def __init__(self, cfg: ConnectConfig, pack_name: str | None = None) -> None:
        self.cfg = cfg
        self.conn = WireConnection(load_pack(pack_name or pack_name_for(cfg.scheme)), cfg)
        self.sock = socket.create_connection((cfg.host, cfg.port), timeout=20)
        self.transcript: list[dict[str, Any]] = []
        self.events: list = []

    def _flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.transcript.append({"dir": "c2s", "hex": data.hex()})
            self.sock.sendall(data)

    def events_until_ready(self) -> list:
        """Pump until a Ready (or ConnectionClosed); returns all events seen."""
        out = []
        while True:
            self._flush()
            e = self.conn.next_event()
            if e is ev.NEED_DATA:
                self._flush()  # next_event may have queued a reply (auth): send before reading
                data = self.sock.recv(262144)
                if data:
                    self.transcript.append({"dir": "s2c", "hex": data.hex()})
                self.conn.receive_data(data)
                continue
            if isinstance(e, ev.StartTLS):
                raise AssertionError("the tap does not do TLS")
            out.append(e)
            self.events.append(e)
            if isinstance(e, (ev.Ready, ev.ConnectionClosed)):
                self._flush()
                return out

    def connect(self) -> list:
        self.conn.start()
        return self.events_until_ready()

    def query(self, sql: str) -> list:
        self.transcript.append({"dir": "cmd", "op": "query", "arg": sql})
        self.conn.query(sql)
        return self.events_until_ready()

    def ping(self) -> list:
        self.transcript.append({"dir": "cmd", "op": "ping"})
        self.conn.ping()
        return self.events_until_ready()

    def init_db(self, name: str) -> list:
        self.transcript.append({"dir": "cmd", "op": "init_db", "arg": name})
        self.conn.init_db(name)
        return self.events_until_ready()

    def close(self) -> None:
        try:
            self.transcript.append({"dir": "cmd", "op": "terminate"})
            self.conn.terminate()
            self._flush()
            self.events.append(self.conn.next_event())  # ConnectionClosed
        finally:
            self.sock.close()

    def save(self, name: str, config: dict[str, Any], notes: str) -> Path:
        """Write the exchange as a replayable transcript (see transcript.py)."""
        from tests.engine.transcript import normalize

        doc = {
            "notes": notes,
            "pack": pack_name_for(self.cfg.scheme),
            "config": config,
            "steps": self.transcript,
            "events": normalize(self.events),
        }
        path = TRANSCRIPTS / f"{name}.json"
        path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
        return path


def rows_of(events: list) -> list[tuple]:
    return [r for e in events if isinstance(e, ev.Rows) for r in e.rows]
