"""`manage.py rotate_master_key`: the operator's handle on apps/secrets/rotation.py."""

from __future__ import annotations

import argparse
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, DjangoHelpFormatter

from apps.secrets import rotation
from apps.secrets.errors import SecretUnavailable

EXAMPLES = """\
examples:
  manage.py rotate_master_key
      The key is the file NUBLOX_DATA_DIR/master.key: a new key is written beside it,
      every secret is re-wrapped, the old key is kept as master.key.retired-<key id>.

  manage.py rotate_master_key --new-key-file /etc/nublox/master.key.2
      The key comes from NUBLOX_MASTER_KEY: the new key is written to that file (mode
      0600); then set NUBLOX_MASTER_KEY_FILE=/etc/nublox/master.key.2 (or put its
      contents in NUBLOX_MASTER_KEY) on every process and restart them.

No key is ever printed. Run it while no other rotation is running.
"""


class _Formatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


class Command(BaseCommand):
    help = "Re-wrap every secret in the local store with a new master key."

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.epilog = EXAMPLES
        parser.formatter_class = _Formatter
        return parser

    def add_arguments(self, parser):
        parser.add_argument(
            "--new-key-file",
            type=Path,
            metavar="PATH",
            help="where to write the new key (required when NUBLOX_MASTER_KEY is set)",
        )

    def handle(self, *args, new_key_file: Path | None = None, **options):
        try:
            done = rotation.rotate(new_key_file)
        except SecretUnavailable as exc:
            raise CommandError(str(exc)) from None
        noun = "secret" if done.count == 1 else "secrets"
        self.stdout.write(
            f"Re-wrapped {done.count} {noun} with the new master key "
            f"(key id {done.old_id} -> {done.new_id})."
        )
        if done.retired:
            self.stdout.write(
                f"The old key is kept as {done.retired}: keep it with every database backup "
                "taken before now, and delete it once those backups have expired."
            )
        if done.new_key_file:
            self.stdout.write(
                f"The new key is in {done.new_key_file}. Now set "
                f"NUBLOX_MASTER_KEY_FILE={done.new_key_file} (or NUBLOX_MASTER_KEY to its "
                "contents) for every process and restart them: until they use the new key "
                "they cannot read secrets."
            )
        if settings.VAULT_ADDR:
            self.stdout.write("Secrets kept in Vault are not affected by this command.")
