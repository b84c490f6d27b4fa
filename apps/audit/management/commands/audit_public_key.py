from django.core.management.base import BaseCommand

from apps.audit import keys


class Command(BaseCommand):
    help = "Print the public key (PEM) that checks this installation's audit bundles."

    def handle(self, *args, **options):
        self.stdout.write(keys.public_key_pem(), ending="")
