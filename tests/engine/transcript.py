"""Transcript replay: feed recorded server bytes to a fresh core and check what it does.

A transcript is JSON: `{"pack", "config", "steps": [...], "events": [...]}` where a step is
`{"dir": "s2c"|"c2s", "hex": ...}` or `{"dir": "cmd", "op": "query"|"ping"|"init_db"|
"terminate", "arg": ...}` and `events` is the normalised event list the exchange must
produce. Replay splits every s2c step according to a chunking (whole, 1 byte at a time,
seeded random splits) and asserts byte-exact client output and the same events: the core's
behaviour must not depend on how TCP happened to cut the stream.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

from engine import errors as E
from engine.config import ConnectConfig
from engine.secret import Secret
from engine.wirevm import events as ev
from engine.wirevm.core import WireConnection
from engine.wirevm.packs import load_pack

DIR = Path(__file__).parent / "transcripts"
CHUNKINGS = ("whole", "bytewise", "random")


def make_config(spec: dict[str, Any]) -> ConnectConfig:
    spec = dict(spec)
    spec["password"] = Secret(spec.get("password"))
    return ConnectConfig(**spec)


def normalize(events: list) -> list:
    """JSON-able event list; consecutive Rows merge (batching depends on chunking)."""
    out: list = []
    for e in events:
        if isinstance(e, ev.Rows):
            rows = [repr(r) for r in e.rows]
            if out and out[-1]["type"] == "Rows":
                out[-1]["rows"] += rows
            else:
                out.append({"type": "Rows", "rows": rows})
        elif isinstance(e, ev.Columns):
            out.append(
                {
                    "type": "Columns",
                    "columns": [[c.name, c.type_name, c.type_code] for c in e.columns],
                }
            )
        elif isinstance(e, BaseException):
            out.append({"type": "raise", "error": type(e).__name__, "message": str(e)})
        elif is_dataclass(e):
            d = {
                k: (v if isinstance(v, (int, str, bool, type(None))) else repr(v))
                for k, v in asdict(e).items()
            }
            out.append({"type": type(e).__name__, **d})
        else:
            out.append({"type": repr(e)})
    return out


def split(data: bytes, how: str, rng: random.Random) -> list[bytes]:
    if how == "whole" or not data:
        return [data]
    if how == "bytewise":
        return [data[i : i + 1] for i in range(len(data))]
    cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randint(1, 6))))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


class Replay:
    """Drive a core from steps; collect events, raised errors and client bytes."""

    def __init__(self, pack: str, cfg: ConnectConfig, max_calls: int = 1_000_000) -> None:
        self.conn = WireConnection(load_pack(pack), cfg)
        self.events: list = []
        self.sent = bytearray()
        self.calls = 0
        self.max_calls = max_calls
        self.dead = False

    def pump(self) -> None:
        """Take events until NEED_DATA (or an error, or the connection closed)."""
        while not self.dead:
            self.calls += 1
            assert self.calls <= self.max_calls, "next_event() made no progress"
            try:
                e = self.conn.next_event()
            except E.DataError as exc:
                self.events.append(exc)
                continue
            except E.EngineError as exc:
                self.events.append(exc)
                self.dead = True
                break
            finally:
                self.sent += self.conn.data_to_send()
            if e is ev.NEED_DATA:
                return
            self.events.append(e)
            if isinstance(e, ev.StartTLS):
                self.conn.tls_started(secure_channel=True, cert_der=None, version="TLSv1.3")
            if isinstance(e, ev.ConnectionClosed):
                self.dead = True

    def feed(self, data: bytes) -> None:
        if self.dead:
            return
        self.conn.receive_data(data)
        self.pump()

    def command(self, op: str, arg: Any) -> None:
        if self.dead:
            return
        try:
            if op == "start":
                self.conn.start()
            elif op == "terminate":
                self.conn.terminate()
            elif arg is None:
                getattr(self.conn, op)()
            else:
                getattr(self.conn, op)(arg)
        except E.InterfaceError:
            self.dead = True  # the exchange left the previous command unfinished
            return
        except E.EngineError as exc:
            self.events.append(exc)
            self.dead = True
            return
        finally:
            self.sent += self.conn.data_to_send()
        self.pump()


def replay(doc: dict, how: str, seed: int = 0) -> Replay:
    rng = random.Random(seed)
    r = Replay(doc["pack"], make_config(doc["config"]))
    r.command("start", None)
    for step in doc["steps"]:
        if step["dir"] == "cmd":
            r.command(step["op"], step.get("arg"))
        elif step["dir"] == "s2c":
            for piece in split(bytes.fromhex(step["hex"]), how, rng):
                r.feed(piece)
        elif step["dir"] == "eof":
            r.feed(b"")
    return r


def expected_client_bytes(doc: dict) -> bytes:
    return b"".join(bytes.fromhex(s["hex"]) for s in doc["steps"] if s["dir"] == "c2s")


def load(name: str) -> dict:
    return json.loads((DIR / name).read_text())


def all_transcripts() -> list[str]:
    return sorted(p.name for p in DIR.glob("*.json"))
