"""Signed export bundles, their offline check, and the audit management commands."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import CommandError, call_command

from apps.audit import bundle_verify, keys
from apps.audit.bundle import ExportRefused, export_bundle
from apps.audit.log import record, record_many
from apps.audit.models import AuditEvent
from tests.audit.helpers import TABLE, tamper

ROOT = Path(__file__).resolve().parents[2]
DAY0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _key_in_tmp(settings, tmp_path):
    settings.AUDIT_SIGNING_KEY = None
    settings.AUDIT_SIGNING_KEY_PATH = tmp_path / "keys" / "audit-signing.pem"


@pytest.fixture
def days(world, quiet):
    """Ten events on each of five days, 2026-03-01 .. 03-05, in the quiet workspace."""
    specs = [
        {"action": "apply", "actor": world.users["owner"], "details": {"day": d, "n": n},
         "occurred_at": DAY0 + timedelta(days=d, minutes=n)}
        for d in range(5) for n in range(10)
    ]  # fmt: skip
    record_many(quiet, specs)
    return quiet


def _export(workspace, tmp_path, start=None, end=None, name="bundle.zip") -> Path:
    path = tmp_path / name
    with path.open("wb") as sink:
        export_bundle(workspace, sink, start, end)
    return path


def _pem() -> bytes:
    return keys.public_key_pem().encode()


def _rewrite(path: Path, member: str, change) -> None:
    with zipfile.ZipFile(path) as old:
        members = {name: old.read(name) for name in old.namelist()}
    members[member] = change(members[member])
    with zipfile.ZipFile(path, "w") as new:
        for name, data in members.items():
            new.writestr(name, data)


def test_a_range_exports_as_a_bundle_that_verifies(days, tmp_path):
    path = _export(days, tmp_path, date(2026, 3, 2), date(2026, 3, 3))
    report = bundle_verify.verify_bundle(path, _pem())
    m = report.manifest
    assert (report.count, m["first_seq"], m["last_seq"]) == (20, 11, 30)
    assert m["anchor_prev_hash"] == AuditEvent.objects.get(workspace=days, seq=10).hash
    assert m["last_hash"] == AuditEvent.objects.get(workspace=days, seq=30).hash
    assert m["workspace"] == "quiet" and m["range"] == {"from": "2026-03-02", "to": "2026-03-03"}
    with zipfile.ZipFile(path) as bundle:
        assert sorted(bundle.namelist()) == ["events.jsonl", "manifest.json", "manifest.sig"]
        lines = bundle.read("events.jsonl").decode().splitlines()
    assert len(lines) == 20 and '"seq":11,' in lines[0] and lines[0].endswith('"}')


def test_consecutive_bundles_link(days, tmp_path):
    first = bundle_verify.verify_bundle(
        _export(days, tmp_path, None, date(2026, 3, 2), "a.zip"), _pem()
    )
    second = bundle_verify.verify_bundle(
        _export(days, tmp_path, date(2026, 3, 3), None, "b.zip"), _pem()
    )
    assert first.manifest["first_seq"] == 1 and second.manifest["last_seq"] == 50
    assert second.manifest["anchor_prev_hash"] == first.manifest["last_hash"]
    assert first.count + second.count == 50


def test_the_offline_checker_runs_without_django(days, tmp_path):
    path = _export(days, tmp_path)
    key = tmp_path / "audit.pem"
    key.write_bytes(_pem())
    # `django` made unimportable: the checker must not need it.
    script = (
        "import sys, runpy; sys.modules['django'] = None; sys.argv[0] = 'bundle_verify'; "
        "runpy.run_module('apps.audit.bundle_verify', run_name='__main__')"
    )
    run = subprocess.run(
        [sys.executable, "-c", script, str(path), "--public-key", str(key)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": ""},
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("VALID: 50 events 1-50 of chain workspace:")

    _rewrite(path, "events.jsonl", lambda data: data.replace(b'"n":3}', b'"n":4}', 1))
    run = subprocess.run(
        [sys.executable, "-m", "apps.audit.bundle_verify", str(path), "--public-key", str(key)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 1
    assert run.stdout.startswith("INVALID at line 4: hash does not match its contents")
    assert '"seq":4,' in run.stdout.splitlines()[1]


@pytest.mark.parametrize(
    "member, change, reason",
    [
        ("manifest.json", lambda d: d.replace(b'"count": 50', b'"count": 49'), "manifest.sig is"),
        ("manifest.sig", lambda d: bytes([d[0] ^ 1]) + d[1:], "manifest.sig is not a signature"),
        ("events.jsonl", lambda d: d.split(b"\n", 1)[1], "expected event 1, found 2"),
        ("events.jsonl", lambda d: b"\n".join(d.split(b"\n")[:-2]) + b"\n",
         "events.jsonl has 49 events, the manifest says 50"),
        ("events.jsonl", lambda d: d.replace(b'"hash":"', b'"hash": "', 1),
         'not an event followed by its "hash"'),
    ],
)  # fmt: skip
def test_tampered_bundles_are_invalid(days, tmp_path, member, change, reason):
    path = _export(days, tmp_path)
    _rewrite(path, member, change)
    with pytest.raises(bundle_verify.Invalid) as caught:
        bundle_verify.verify_bundle(path, _pem())
    assert caught.value.reason.startswith(reason) or reason in caught.value.reason


def test_a_dropped_line_is_named(days, tmp_path):
    def drop_line_7(data: bytes) -> bytes:
        lines = data.split(b"\n")
        return b"\n".join(lines[:6] + lines[7:])

    path = _export(days, tmp_path)
    _rewrite(path, "events.jsonl", drop_line_7)
    with pytest.raises(bundle_verify.Invalid) as caught:
        bundle_verify.verify_bundle(path, _pem())
    assert caught.value.line_no == 7
    assert caught.value.reason == "expected event 7, found 8"


def test_another_key_is_refused_and_a_folder_bundle_is_accepted(days, tmp_path):
    path = _export(days, tmp_path)
    stranger = Ed25519PrivateKey.generate().public_key()
    pem = stranger.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(bundle_verify.Invalid, match="signed by another key"):
        bundle_verify.verify_bundle(path, pem)
    folder = tmp_path / "unpacked"
    with zipfile.ZipFile(path) as bundle:
        bundle.extractall(folder)
    assert bundle_verify.verify_bundle(folder, _pem()).count == 50
    (folder / "manifest.sig").unlink()
    with pytest.raises(bundle_verify.Invalid, match=r"manifest\.sig is missing"):
        bundle_verify.verify_bundle(folder, _pem())


def test_export_refuses_a_broken_chain_and_an_empty_range(days, tmp_path):
    with pytest.raises(ExportRefused, match="No audit events between 2027-01-01 and 2027-01-02"):
        export_bundle(days, io.BytesIO(), date(2027, 1, 1), date(2027, 1, 2))
    row = AuditEvent.objects.get(workspace=days, seq=23)
    tamper(f"UPDATE {TABLE} SET details = %s WHERE id = %s", ['{"day": 2}', row.pk])
    with pytest.raises(ExportRefused, match="event 23: hash does not match its contents"):
        export_bundle(days, io.BytesIO(), None, None)
    # A range before the edit still exports.
    assert export_bundle(days, io.BytesIO(), None, date(2026, 3, 2))["count"] == 20


def test_the_key_file_is_made_once_private_and_settings_can_supply_one(settings, tmp_path):
    path = Path(settings.AUDIT_SIGNING_KEY_PATH)
    first = keys.public_key_pem()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.public_key_pem() == first
    supplied = Ed25519PrivateKey.generate()
    settings.AUDIT_SIGNING_KEY = supplied.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()  # fmt: skip
    assert keys.public_key_pem() != first
    assert keys.fingerprint(keys.signing_key().public_key()) == keys.fingerprint(
        supplied.public_key()
    )


def test_management_commands(days, tmp_path, capsys):
    out = tmp_path / "export.zip"
    call_command("audit_export", "--workspace", "quiet", "--from", "2026-03-05", "-o", str(out))
    assert "10 events (41-50)" in capsys.readouterr().out
    call_command("audit_verify_bundle", str(out))
    assert capsys.readouterr().out.startswith("VALID: 10 events 41-50")
    call_command("audit_public_key")
    key = tmp_path / "public.pem"
    key.write_text(capsys.readouterr().out)
    call_command("audit_verify_bundle", str(out), "--public-key", str(key))
    assert "range 2026-03-05 to the end" in capsys.readouterr().out
    call_command("audit_verify", "--workspace", "quiet")
    assert capsys.readouterr().out.startswith("Chain intact: 50 events")
    with pytest.raises(CommandError, match="expected a date"):
        call_command("audit_export", "--workspace", "quiet", "--from", "March", "-o", str(out))
    with pytest.raises(CommandError, match="No workspace"):
        call_command("audit_verify", "--workspace", "nope")
    row = AuditEvent.objects.get(workspace=days, seq=5)
    tamper(f"UPDATE {TABLE} SET actor_label = %s WHERE id = %s", ["x@y.z", row.pk])
    with pytest.raises(CommandError, match=rf"event 5: hash does not match .*row id {row.pk}"):
        call_command("audit_verify", "--workspace", "quiet")


def test_platform_chain_exports_too(world, tmp_path):
    record(None, world.users["owner"], "account.sign_in")
    out = tmp_path / "platform.zip"
    call_command("audit_export", "--platform", "-o", str(out))
    report = bundle_verify.verify_bundle(out, _pem())
    assert report.manifest["chain"] == "platform" and report.manifest["workspace"] is None
