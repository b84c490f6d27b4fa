from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.audit import bundle_verify, keys


class Command(BaseCommand):
    help = "Check a signed audit bundle (default key: this installation's signing key)."

    def add_arguments(self, parser):
        parser.add_argument("bundle", type=Path)
        parser.add_argument("--public-key", type=Path, help="PEM public key of the signer")

    def handle(self, *args, **options):
        if options["public_key"]:
            try:
                pem = options["public_key"].read_bytes()
            except OSError as exc:
                raise CommandError(f"cannot read --public-key: {exc}") from None
        else:
            pem = keys.public_key_pem().encode()
        try:
            report = bundle_verify.verify_bundle(options["bundle"], pem)
        except bundle_verify.Invalid as exc:
            raise CommandError(bundle_verify.describe_invalid(exc)) from None
        self.stdout.write(bundle_verify.describe_valid(report))
