"""The Vault backend against tests/secrets/vault_standin.py, a stand-in for Vault's HTTP API.

No Vault server can run on the test machines; test_vault_real.py runs the same round trip
against a real one when VAULT_ADDR is set.
"""

from __future__ import annotations

import threading

import pytest

from apps.secrets import store
from apps.secrets.errors import SecretUnavailable
from apps.secrets.models import SecretRef
from tests.secrets.vault_standin import make_tls_files

VALUE = "vault-VALUE-5d1e"


def clean(err, *secrets) -> str:
    """The message, after checking it names nothing secret."""
    message = str(err.value)
    for secret in (VALUE, *secrets):
        assert secret not in message
    chained = err.value.__cause__ or (
        None if err.value.__suppress_context__ else err.value.__context__
    )
    assert chained is None  # no hvac/requests error rides along into a traceback
    return message


def test_token_auth_round_trip(world, vault):
    standin = vault()
    ref = store.put(world.acme, "password of main", VALUE)
    assert ref.provider == "vault"
    prefix, slug, name = ref.locator.split("/")
    assert (prefix, slug, len(name)) == ("nublox", "acme", 36)
    assert standin.kv[ref.locator] == [{"value": VALUE}]
    assert store.reveal(SecretRef.objects.get(pk=ref.pk)) == VALUE

    store.replace(ref, "rotated")
    assert store.reveal(ref) == "rotated"
    store.delete(ref)
    assert ref.locator not in standin.kv
    assert not SecretRef.objects.filter(locator=ref.locator).exists()
    assert {r.token for r in standin.requests} == {standin.root_token}
    kinds = [(r.method, r.path.split("/")[3]) for r in standin.requests]
    assert kinds == [("POST", "data"), ("GET", "data"), ("POST", "data"), ("GET", "data"),
                     ("DELETE", "metadata")]  # fmt: skip


def test_approle_logs_in_and_again_when_its_token_expires(world, vault, settings):
    standin = vault()
    settings.VAULT_TOKEN = None
    settings.VAULT_ROLE_ID, settings.VAULT_SECRET_ID = standin.role_id, standin.secret_id
    ref = store.put(world.acme, "password", VALUE)
    assert standin.logins == 1
    assert store.reveal(ref) == VALUE
    assert standin.logins == 1  # the token is reused

    standin.expire_tokens()
    assert store.reveal(ref) == VALUE
    assert standin.logins == 2
    assert standin.root_token not in {r.token for r in standin.requests}


def test_approle_with_a_wrong_secret_id(world, vault, settings):
    standin = vault()
    settings.VAULT_TOKEN = None
    settings.VAULT_ROLE_ID, settings.VAULT_SECRET_ID = standin.role_id, "wrong-secret-id-991"
    with pytest.raises(SecretUnavailable) as err:
        store.put(world.acme, "password", VALUE)
    message = clean(err, "wrong-secret-id-991", standin.role_id)
    assert f"Vault at {standin.url}" in message
    assert "log in with AppRole at auth/approle" in message
    assert not SecretRef.objects.exists()


def test_namespace_header_is_sent(world, vault):
    standin = vault(namespace="team-a/dbs")
    ref = store.put(world.acme, "password", VALUE)
    assert store.reveal(ref) == VALUE
    assert {r.namespace for r in standin.requests} == {"team-a/dbs"}


def test_wrong_namespace_is_refused(world, vault, settings):
    standin = vault(namespace="team-a")
    settings.VAULT_NAMESPACE = "team-b"
    with pytest.raises(SecretUnavailable, match="permission denied") as err:
        store.put(world.acme, "password", VALUE)
    clean(err, standin.root_token)


def test_tls_with_a_ca_file(world, vault, tmp_path):
    standin = vault(tls=make_tls_files(tmp_path / "tls"))
    assert standin.url.startswith("https://")
    ref = store.put(world.acme, "password", VALUE)
    assert store.reveal(ref) == VALUE


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_tls_without_the_ca_is_refused_and_skip_verify_is_honoured(world, vault, tmp_path,
                                                                    settings):  # fmt: skip
    standin = vault(tls=make_tls_files(tmp_path / "tls"))
    settings.VAULT_CACERT = None
    with pytest.raises(SecretUnavailable) as err:
        store.put(world.acme, "password", VALUE)
    message = clean(err, standin.root_token)
    assert f"Vault at {standin.url}" in message and "certificate is not trusted" in message
    assert not standin.requests  # nothing was sent over an unverified connection

    settings.VAULT_SKIP_VERIFY = True
    ref = store.put(world.acme, "password", VALUE)
    assert store.reveal(ref) == VALUE


def test_tls_client_certificate(world, vault, tmp_path, settings):
    tls = make_tls_files(tmp_path / "tls")
    standin = vault(tls=tls, require_client_cert=True)
    with pytest.raises(SecretUnavailable, match="TLS failed") as err:
        store.put(world.acme, "password", VALUE)
    clean(err, standin.root_token)

    settings.VAULT_CLIENT_CERT, settings.VAULT_CLIENT_KEY = (
        str(tls.client_cert),
        str(tls.client_key),
    )
    ref = store.put(world.acme, "password", VALUE)
    assert store.reveal(ref) == VALUE


def _sealed(standin, ref):
    standin.sealed = True


def _denied(standin, ref):
    standin.deny = True


def _removed(standin, ref):
    standin.kv.clear()


def _stopped(standin, ref):
    standin.__exit__(None, None, None)


FAILURES = {
    "sealed": (_sealed, "Vault is sealed"),
    "permission denied": (_denied, "permission denied (HTTP 403)"),
    "not found": (_removed, "not found (HTTP 404): nothing at secret/data/nublox/acme/"),
    "unreachable": (_stopped, "unreachable: connection refused"),
}


@pytest.mark.parametrize("case", FAILURES)
def test_each_failure_is_a_clear_message_without_secrets(world, vault, case):
    standin = vault()
    ref = store.put(world.acme, "password", VALUE)
    url = standin.url
    breaks, expected = FAILURES[case]
    breaks(standin, ref)
    with pytest.raises(SecretUnavailable) as err:
        store.reveal(ref)
    message = clean(err, standin.root_token)
    assert message.startswith(f"Vault at {url}: cannot read secret {ref}: ")
    assert expected in message


def test_a_stalled_vault_times_out(world, vault, settings):
    standin = vault(stall=threading.Event())
    settings.VAULT_TIMEOUT = 1
    with pytest.raises(SecretUnavailable, match="no answer within VAULT_TIMEOUT=1 seconds"):
        store.put(world.acme, "password", VALUE)
    standin.stall.set()


def test_deleting_a_secret_already_gone_from_vault_is_fine(world, vault):
    standin = vault()
    ref = store.put(world.acme, "password", VALUE)
    standin.kv.clear()
    store.delete(ref)
    assert not SecretRef.objects.exists()


def test_missing_credentials_are_named(world, vault, settings):
    vault()
    settings.VAULT_TOKEN = None
    with pytest.raises(SecretUnavailable, match="no credentials configured: set VAULT_TOKEN"):
        store.put(world.acme, "password", VALUE)


def test_refs_stay_with_the_backend_that_made_them(world, vault, settings):
    local_ref = store.put(world.acme, "password", "kept-locally")
    standin = vault()
    vault_ref = store.put(world.acme, "password", VALUE)
    assert (local_ref.provider, vault_ref.provider) == ("local", "vault")
    assert store.reveal(local_ref) == "kept-locally"  # still readable with Vault active
    assert store.reveal(vault_ref) == VALUE

    settings.VAULT_ADDR = None
    with pytest.raises(SecretUnavailable) as err:
        store.reveal(vault_ref)
    assert "is kept in HashiCorp Vault, which is not configured here: set VAULT_ADDR" in clean(
        err, standin.root_token
    )
    assert store.reveal(local_ref) == "kept-locally"


def test_approle_denied_after_a_fresh_login_gives_up_clearly(world, vault, settings):
    standin = vault()
    settings.VAULT_TOKEN = None
    settings.VAULT_ROLE_ID, settings.VAULT_SECRET_ID = standin.role_id, standin.secret_id
    ref = store.put(world.acme, "password", VALUE)
    standin.deny = True
    with pytest.raises(SecretUnavailable, match="permission denied") as err:
        store.reveal(ref)
    clean(err, standin.secret_id, *standin.tokens)
    assert standin.logins == 2  # one retry with a new token, then the real answer
