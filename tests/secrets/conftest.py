"""Every secrets test keeps its master key under tmp_path and starts on the local store.

A VAULT_ADDR in the environment (for test_vault_real.py) must not turn the local-store
tests into Vault tests, so the active backend is pinned here; Vault tests set it back.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def key_path(settings):
    return settings.SECRETS_MASTER_KEY_PATH


@pytest.fixture
def vault(settings):
    """Start a Vault stand-in and point the settings at it (token auth unless told otherwise).

    `vault(**options)` takes VaultStandIn's fields; returns the running stand-in.
    """
    from tests.secrets.vault_standin import VaultStandIn

    running = []

    def start(**options) -> VaultStandIn:
        standin = VaultStandIn(**options).__enter__()
        running.append(standin)
        settings.VAULT_ADDR = standin.url
        settings.VAULT_TOKEN = standin.root_token
        settings.VAULT_ROLE_ID = settings.VAULT_SECRET_ID = None
        settings.VAULT_NAMESPACE = standin.namespace
        settings.VAULT_CACERT = str(standin.tls.ca) if standin.tls else None
        settings.VAULT_CLIENT_CERT = settings.VAULT_CLIENT_KEY = None
        settings.VAULT_SKIP_VERIFY = False
        settings.VAULT_KV_MOUNT = standin.kv_mount
        settings.VAULT_APPROLE_MOUNT = standin.approle_mount
        settings.VAULT_PATH_PREFIX = "nublox"
        settings.VAULT_TIMEOUT = 5
        return standin

    yield start
    for standin in running:
        standin.__exit__(None, None, None)
