"""Start-up checks: a license key that cannot be read stops `manage.py check` and runserver.

Pages never fail on a bad key (they fall back to the free plan and say why); these checks
make sure the operator hears about it first.
"""

from __future__ import annotations

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from apps.licensing import keys
from apps.licensing.tokens import public_pem


@checks.register(checks.Tags.security)
def license_keys(app_configs=None, **kwargs):
    try:
        issuer = keys.configured_issuer_key()
        verifiers = keys.verification_public_keys()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="licensing.E001")]
    if issuer is not None and public_pem(issuer) not in {public_pem(k) for k in verifiers}:
        return [
            checks.Warning(
                "The license issuer key does not match NUBLOX_LICENSE_PUBLIC_KEY: licenses "
                "issued here will be refused here.",
                hint="Add the issuer's public key (manage.py license_public_key) to "
                "NUBLOX_LICENSE_PUBLIC_KEY.",
                id="licensing.W001",
            )
        ]
    return []
