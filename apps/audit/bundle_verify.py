"""Check an audit export bundle offline: stdlib and `cryptography` only, no Django.

    python -m apps.audit.bundle_verify BUNDLE --public-key audit-public.pem

(or copy this one file and run `python bundle_verify.py ...`). BUNDLE is the .zip from
`manage.py audit_export`, or a folder holding its three files. Exit status 0: valid;
1: invalid, with the reason and the first bad line; 2: usage. Checks, in order: the
Ed25519 signature over manifest.json with the key you trust, that key's fingerprint
against the manifest, then every line of events.jsonl (its hash over its own bytes, seq
continuity, prev_hash linkage from the manifest's anchor), then count, last hash and the
file's SHA-256 against the manifest. docs/audit.md has the format.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

EVENTS, MANIFEST, SIGNATURE = "events.jsonl", "manifest.json", "manifest.sig"
FORMAT, VERSION = "nublox-audit-bundle", 1
GENESIS_PREFIX = "nublox-audit-genesis:v1:"  # as apps/audit/canonical.py
# Each line is the event's hashed text with `,"hash":"<64 hex>"` spliced in before its `}`.
_LINE = re.compile(rb'^(\{.*),"hash":"([0-9a-f]{64})"\}\n?$', re.DOTALL)


class Invalid(Exception):
    def __init__(self, reason: str, line_no: int | None = None, line: bytes = b""):
        super().__init__(reason)
        self.reason, self.line_no, self.line = reason, line_no, line


@dataclass
class Report:
    manifest: dict = field(default_factory=dict)
    count: int = 0


def verify_bundle(bundle: Path | str, public_key_pem: bytes) -> Report:
    """Return what a valid bundle holds, or raise Invalid naming the first problem."""
    with _open(Path(bundle)) as read:
        manifest_bytes, signature = read(MANIFEST), read(SIGNATURE)
        manifest = _check_manifest(manifest_bytes, signature, public_key_pem)
        try:
            count = _check_events(read, manifest)
        except (KeyError, TypeError) as exc:
            raise Invalid(f"manifest.json lacks or misspells a field ({exc})") from None
    return Report(manifest=manifest, count=count)


def _check_manifest(manifest_bytes: bytes, signature: bytes, public_key_pem: bytes) -> dict:
    public_key = _public_key(public_key_pem)
    try:
        public_key.verify(signature, manifest_bytes)
    except InvalidSignature:
        raise Invalid(
            "manifest.sig is not a signature of manifest.json by this public key "
            "(the manifest was changed, or the bundle was signed by another key)"
        ) from None
    try:
        manifest = json.loads(manifest_bytes)
    except ValueError as exc:
        raise Invalid(f"manifest.json is not JSON ({exc})") from None
    if manifest.get("format") != FORMAT or manifest.get("format_version") != VERSION:
        raise Invalid(f"not a {FORMAT} version {VERSION} manifest")
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    if manifest.get("signing_key_fingerprint") != "sha256:" + hashlib.sha256(raw).hexdigest():
        raise Invalid("the manifest names a different signing key fingerprint")
    return manifest


def _check_events(read, manifest: dict) -> int:
    sha = hashlib.sha256()
    prev_hash, seq, count, line_no = manifest["anchor_prev_hash"], manifest["first_seq"], 0, 0
    genesis = hashlib.sha256((GENESIS_PREFIX + manifest["chain"]).encode()).hexdigest()
    if seq == 1 and prev_hash != genesis:
        raise Invalid("the bundle starts the chain but its anchor is not the genesis value")
    with read(EVENTS, stream=True) as lines:
        for line_no, line in enumerate(lines, start=1):
            sha.update(line)
            prev_hash = _check_line(line, line_no, seq, prev_hash, manifest)
            seq += 1
            count += 1
    expected = manifest["count"]
    if count != expected:
        raise Invalid(f"events.jsonl has {count} events, the manifest says {expected}", line_no)
    if count and seq - 1 != manifest["last_seq"]:
        raise Invalid(f"the last event is {seq - 1}, the manifest says {manifest['last_seq']}")
    if prev_hash != manifest["last_hash"]:
        raise Invalid("the last event's hash is not the manifest's last_hash", line_no)
    if sha.hexdigest() != manifest["events_sha256"]:
        raise Invalid("events.jsonl does not match the manifest's events_sha256")
    return count


def _check_line(line: bytes, line_no: int, seq: int, prev_hash: str, manifest: dict) -> str:
    match = _LINE.match(line)
    if match is None:
        raise Invalid('the line is not an event followed by its "hash"', line_no, line)
    text, event_hash = match.group(1) + b"}", match.group(2).decode()
    if hashlib.sha256(text).hexdigest() != event_hash:
        raise Invalid("hash does not match its contents", line_no, line)
    try:
        event = json.loads(text)
    except ValueError:
        raise Invalid("the event is not JSON", line_no, line) from None
    if event.get("workspace") != manifest["workspace_id"]:
        raise Invalid("the event belongs to another chain", line_no, line)
    if event.get("seq") != seq:
        raise Invalid(f"expected event {seq}, found {event.get('seq')}", line_no, line)
    if event.get("prev_hash") != prev_hash:
        previous = "the manifest's anchor" if line_no == 1 else f"event {seq - 1}"
        raise Invalid(f"prev_hash does not match {previous}", line_no, line)
    return event_hash


def _public_key(pem: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise Invalid(f"the public key is not a readable PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise Invalid("the public key is not an Ed25519 key")
    return key


@contextmanager
def _open(bundle: Path) -> Iterator:
    """A reader of the bundle's members, whether it is a .zip or a folder."""
    if bundle.is_dir():

        def read_dir(name: str, stream: bool = False):
            path = bundle / name
            if not path.is_file():
                raise Invalid(f"{name} is missing from the bundle")
            return path.open("rb") if stream else path.read_bytes()

        yield read_dir
        return
    try:
        archive = zipfile.ZipFile(bundle)
    except (OSError, zipfile.BadZipFile) as exc:
        raise Invalid(f"cannot open the bundle ({exc})") from None
    with archive:

        def read_zip(name: str, stream: bool = False):
            try:
                return archive.open(name) if stream else archive.read(name)
            except KeyError:
                raise Invalid(f"{name} is missing from the bundle") from None

        yield read_zip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m apps.audit.bundle_verify",
        description="Check a NuBlox audit export bundle offline.",
    )
    parser.add_argument("bundle", type=Path, help="the bundle .zip (or its unpacked folder)")
    parser.add_argument(
        "--public-key", type=Path, required=True, help="PEM public key you trust for the signer"
    )
    args = parser.parse_args(argv)
    try:
        pem = args.public_key.read_bytes()
    except OSError as exc:
        parser.error(f"cannot read --public-key: {exc}")
    try:
        report = verify_bundle(args.bundle, pem)
    except Invalid as exc:
        print(describe_invalid(exc))
        return 1
    print(describe_valid(report))
    return 0


def describe_valid(report: Report) -> str:
    m = report.manifest
    span = f"events {m['first_seq']}-{m['last_seq']}" if report.count else "no events"
    start, end = m["range"]["from"] or "the start", m["range"]["to"] or "the end"
    return (
        f"VALID: {report.count} {span} of chain {m['chain']} ({m['workspace'] or 'platform'}), "
        f"range {start} to {end}, last hash {m['last_hash']}"
    )


def describe_invalid(exc: Invalid) -> str:
    where = f" at line {exc.line_no}" if exc.line_no else ""
    text = f"INVALID{where}: {exc.reason}"
    if exc.line:
        shown = exc.line.decode(errors="replace").rstrip("\n")
        text += "\n  " + (shown if len(shown) <= 400 else shown[:400] + "…")
    return text


if __name__ == "__main__":
    sys.exit(main())
