"""`manage.py license_public_key`: the PEM an offline install needs to verify licenses."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from apps.licensing.keys import NoIssuerKey, issuer_private_key, verification_public_keys
from apps.licensing.tokens import public_pem


class Command(BaseCommand):
    help = (
        "Print the license verification public key (PEM). On the issuing installation this "
        "is the issuer key's public half (the key is made on first use); on a verify-only "
        "installation, the configured NUBLOX_LICENSE_PUBLIC_KEY."
    )

    def handle(self, *args, **options):
        try:
            try:
                keys = [issuer_private_key()]
            except NoIssuerKey:
                keys = verification_public_keys()
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write("".join(public_pem(k) for k in keys), ending="")
