"""The embedded store: round trips, and the envelope's promises when someone tampers."""

from __future__ import annotations

import base64
import os
import stat

import pytest

from apps.secrets import masterkey, store
from apps.secrets.errors import SecretUnavailable
from apps.secrets.models import LocalSecret, SecretRef

VALUE = "pässword-Ω-LOCAL-7f3a9c"


def sealed(ref) -> LocalSecret:
    return LocalSecret.objects.get(ref=ref)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_round_trip_replace_and_delete(world):
    ref = store.put(world.acme, "password of main", VALUE)
    assert (ref.provider, ref.workspace, ref.purpose) == ("local", world.acme, "password of main")
    assert store.reveal(SecretRef.objects.get(pk=ref.pk)) == VALUE
    before = sealed(ref)
    store.replace(ref, "")
    after = sealed(ref)
    assert store.reveal(ref) == ""
    assert bytes(after.wrapped_key) != bytes(before.wrapped_key)  # a fresh data key
    store.delete(ref)
    assert not SecretRef.objects.filter(pk=before.ref_id).exists()
    assert not LocalSecret.objects.filter(pk=before.pk).exists()


def test_values_must_be_text(world):
    with pytest.raises(TypeError):
        store.put(world.acme, "password", b"bytes")
    assert not SecretRef.objects.exists()


def test_sealed_record_holds_no_plaintext_and_never_repeats(world):
    a = store.put(world.acme, "password", VALUE)
    b = store.put(world.acme, "password", VALUE)
    for record in (sealed(a), sealed(b)):
        blob = b"".join(
            bytes(getattr(record, f)) for f in ("ciphertext", "nonce", "wrapped_key", "wrap_nonce")
        )
        assert VALUE.encode() not in blob
        assert VALUE not in repr(record) + str(record) + str(a)
    assert bytes(sealed(a).ciphertext) != bytes(sealed(b).ciphertext)


def test_tampered_ciphertext_is_refused_clearly(world):
    ref = store.put(world.acme, "password", VALUE)
    record = sealed(ref)
    flipped = bytearray(bytes(record.ciphertext))
    flipped[0] ^= 1
    LocalSecret.objects.filter(pk=record.pk).update(ciphertext=bytes(flipped))
    with pytest.raises(SecretUnavailable, match="altered or belongs to another secret") as err:
        store.reveal(ref)
    assert VALUE not in str(err.value)


def test_tampered_wrapped_key_is_refused_clearly(world):
    ref = store.put(world.acme, "password", VALUE)
    record = sealed(ref)
    flipped = bytearray(bytes(record.wrapped_key))
    flipped[-1] ^= 1
    LocalSecret.objects.filter(pk=record.pk).update(wrapped_key=bytes(flipped))
    with pytest.raises(SecretUnavailable, match="altered"):
        store.reveal(ref)


def test_associated_data_binds_workspace_and_ref(world):
    ref = store.put(world.acme, "password", VALUE)
    SecretRef.objects.filter(pk=ref.pk).update(workspace=world.globex)
    with pytest.raises(SecretUnavailable, match="altered or belongs to another secret"):
        store.reveal(SecretRef.objects.get(pk=ref.pk))


def test_a_blob_moved_to_another_ref_does_not_open(world):
    mine = store.put(world.acme, "password", VALUE)
    theirs = store.put(world.globex, "password", "globex-value")
    source = sealed(mine)
    LocalSecret.objects.filter(ref=theirs).update(
        ciphertext=source.ciphertext,
        nonce=source.nonce,
        wrapped_key=source.wrapped_key,
        wrap_nonce=source.wrap_nonce,
    )
    with pytest.raises(SecretUnavailable, match="altered or belongs to another secret") as err:
        store.reveal(theirs)
    assert VALUE not in str(err.value)
    assert store.reveal(mine) == VALUE


def test_wrong_master_key_fails_clearly(world, key_path):
    ref = store.put(world.acme, "password", VALUE)
    key_path.unlink()
    masterkey.write_key_file(key_path, os.urandom(32))
    with pytest.raises(SecretUnavailable) as err:
        store.reveal(ref)
    assert "the master key does not match the one that sealed it" in str(err.value)
    assert sealed(ref).key_id in str(err.value)


def test_key_file_is_made_0600_on_first_use_even_with_a_lax_umask(world, key_path):
    assert not key_path.exists()
    old = os.umask(0)
    try:
        store.put(world.acme, "password", VALUE)
    finally:
        os.umask(old)
    assert mode(key_path) == 0o600
    assert len(base64.b64decode(key_path.read_text().strip(), validate=True)) == 32


@pytest.mark.parametrize("lax", [0o644, 0o640, 0o604])
def test_a_key_file_others_can_read_is_refused(world, key_path, lax):
    ref = store.put(world.acme, "password", VALUE)
    key_path.chmod(lax)
    with pytest.raises(SecretUnavailable) as err:
        store.reveal(ref)
    assert f"chmod 600 {key_path}" in str(err.value)
    assert f"{lax:04o}" in str(err.value)
    with pytest.raises(SecretUnavailable, match="can be read by other users"):
        store.put(world.acme, "password", "another")


def test_a_lost_key_file_is_not_silently_replaced(world, key_path):
    ref = store.put(world.acme, "password", VALUE)
    key_path.unlink()
    with pytest.raises(SecretUnavailable, match="is missing, but secrets sealed with key"):
        store.put(world.acme, "password", "another")
    assert not key_path.exists()
    with pytest.raises(SecretUnavailable, match="restore the file from your backup"):
        store.reveal(ref)


def test_master_key_from_the_environment(world, settings, key_path):
    key = os.urandom(32)
    settings.SECRETS_MASTER_KEY = base64.b64encode(key).decode()
    ref = store.put(world.acme, "password", VALUE)
    assert store.reveal(ref) == VALUE
    assert not key_path.exists()
    assert sealed(ref).key_id == masterkey.key_id(key)


def test_a_malformed_environment_key_is_named_but_not_echoed(world, settings):
    settings.SECRETS_MASTER_KEY = "not-a-key-c2VjcmV0"
    with pytest.raises(SecretUnavailable, match="NUBLOX_MASTER_KEY is not valid") as err:
        store.put(world.acme, "password", VALUE)
    assert "not-a-key-c2VjcmV0" not in str(err.value)
    assert not SecretRef.objects.exists()


def test_an_unknown_provider_is_a_clear_error(world):
    ref = SecretRef.objects.create(workspace=world.acme, provider="keepass", locator="x")
    with pytest.raises(SecretUnavailable, match="provider this install does not know"):
        store.reveal(ref)
