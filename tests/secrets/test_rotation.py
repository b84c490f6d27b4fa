"""Master key rotation: values survive, the old key stops working, a crash is recoverable."""

from __future__ import annotations

import base64
import os
import stat
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.secrets import masterkey, rotation, store
from apps.secrets.errors import SecretUnavailable
from apps.secrets.models import LocalSecret

VALUES = ("first-ROTATE-a1", "second-ROTATE-b2", "third-ROTATE-c3")


@pytest.fixture
def refs(world):
    return [
        store.put(ws, "password", v)
        for ws, v in zip((world.acme, world.acme, world.globex), VALUES, strict=True)
    ]


def run(*args) -> str:
    out = StringIO()
    call_command("rotate_master_key", *args, stdout=out)
    return out.getvalue()


def key_text(path) -> str:
    return path.read_text().strip()


def test_rotation_rewraps_every_secret_and_retires_the_old_key(refs, key_path, settings):
    old_text = key_text(key_path)
    old_id = masterkey.key_id(base64.b64decode(old_text))
    ciphertexts = {r.pk: bytes(r.ciphertext) for r in LocalSecret.objects.all()}

    out = run()

    new_text = key_text(key_path)
    new_id = masterkey.key_id(base64.b64decode(new_text))
    assert new_id != old_id
    assert "Re-wrapped 3 secrets" in out and f"{old_id} -> {new_id}" in out
    assert old_text not in out and new_text not in out
    assert [store.reveal(r) for r in refs] == list(VALUES)
    assert set(LocalSecret.objects.values_list("key_id", flat=True)) == {new_id}
    assert {r.pk: bytes(r.ciphertext) for r in LocalSecret.objects.all()} == ciphertexts
    retired = masterkey.retired_path(key_path, old_id)
    assert key_text(retired) == old_text and str(retired) in out
    assert not masterkey.next_path(key_path).exists()
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600

    settings.SECRETS_MASTER_KEY = old_text  # the old key no longer opens anything
    with pytest.raises(SecretUnavailable, match="does not match the one that sealed it"):
        store.reveal(refs[0])
    record = LocalSecret.objects.get(ref=refs[0])
    record.key_id = old_id  # even when told to try, the old key cannot unwrap
    with pytest.raises(SecretUnavailable, match="altered"):
        from apps.secrets.backends.local import unwrap

        unwrap(record, refs[0], masterkey.load())


def test_crash_between_commit_and_rename_recovers(refs, key_path, monkeypatch):
    old_text = key_text(key_path)

    def crash(path):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(masterkey, "finish_rotation", crash)
    with pytest.raises(KeyboardInterrupt):
        rotation.rotate()
    monkeypatch.undo()

    nxt = masterkey.next_path(key_path)
    assert key_text(key_path) == old_text and nxt.exists()  # both files present
    new_id = masterkey.key_id(base64.b64decode(key_text(nxt)))
    assert set(LocalSecret.objects.values_list("key_id", flat=True)) == {new_id}

    assert [store.reveal(r) for r in refs] == list(VALUES)  # the loader picks the right one
    assert not nxt.exists()
    assert masterkey.key_id(base64.b64decode(key_text(key_path))) == new_id
    old_id = masterkey.key_id(base64.b64decode(old_text))
    assert key_text(masterkey.retired_path(key_path, old_id)) == old_text


def test_crash_before_commit_keeps_the_old_key_and_a_new_rotation_works(refs, key_path):
    old_text = key_text(key_path)
    nxt = masterkey.next_path(key_path)
    masterkey.write_key_file(nxt, os.urandom(32))  # written, but nothing was re-wrapped

    assert [store.reveal(r) for r in refs] == list(VALUES)
    assert key_text(key_path) == old_text

    assert "Re-wrapped 3 secrets" in run()
    assert [store.reveal(r) for r in refs] == list(VALUES)
    assert not nxt.exists() and key_text(key_path) != old_text


def test_a_record_under_a_foreign_key_stops_the_rotation_untouched(refs, key_path):
    old_text = key_text(key_path)
    LocalSecret.objects.filter(ref=refs[2]).update(key_id="0123456789abcdef")
    with pytest.raises(CommandError, match="another master key \\(0123456789abcdef\\)"):
        run()
    assert key_text(key_path) == old_text
    assert not masterkey.next_path(key_path).exists()
    assert store.reveal(refs[0]) == VALUES[0]


def test_environment_key_needs_a_new_key_file(refs, settings, tmp_path):
    old_env = base64.b64encode(os.urandom(32)).decode()
    settings.SECRETS_MASTER_KEY = old_env
    LocalSecret.objects.all().delete()
    env_refs = [store.put(r.workspace, "password", v) for r, v in zip(refs, VALUES, strict=True)]

    with pytest.raises(CommandError, match="give --new-key-file PATH"):
        run()

    target = tmp_path / "elsewhere" / "master.key.2"
    target.parent.mkdir()
    out = run("--new-key-file", str(target))
    new_text = key_text(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "Re-wrapped 3 secrets" in out and f"NUBLOX_MASTER_KEY_FILE={target}" in out
    assert old_env not in out and new_text not in out

    with pytest.raises(SecretUnavailable, match="does not match"):
        store.reveal(env_refs[0])  # processes still on the old variable
    settings.SECRETS_MASTER_KEY = new_text
    assert [store.reveal(r) for r in env_refs] == list(VALUES)

    with pytest.raises(CommandError, match="already exists"):
        run("--new-key-file", str(target))


def test_new_key_file_is_refused_for_a_key_file(refs, tmp_path):
    with pytest.raises(CommandError, match="only for a master key given in NUBLOX_MASTER_KEY"):
        run("--new-key-file", str(tmp_path / "x.key"))
    assert not (tmp_path / "x.key").exists()


def test_nothing_to_rotate_before_the_first_secret(db, key_path):
    with pytest.raises(CommandError, match="Nothing to rotate"):
        run()
    assert not key_path.exists()


def test_rotating_an_empty_store_still_moves_to_a_new_key(world, key_path):
    ref = store.put(world.acme, "password", "x")
    store.delete(ref)
    old_text = key_text(key_path)
    assert "Re-wrapped 0 secrets" in run()
    assert key_text(key_path) != old_text


def test_help_shows_an_example(capsys):
    with pytest.raises(SystemExit):
        call_command("rotate_master_key", "--help")
    out = capsys.readouterr().out
    assert "examples:" in out and "--new-key-file /etc/nublox/master.key.2" in out
