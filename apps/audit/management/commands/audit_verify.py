from django.core.management.base import BaseCommand, CommandError

from apps.audit.management.chains import add_chain_arguments, chain_from
from apps.audit.verify import verify_chain


class Command(BaseCommand):
    help = "Walk one audit chain, recompute every hash and name the first broken event."

    def add_arguments(self, parser):
        add_chain_arguments(parser)

    def handle(self, *args, **options):
        result = verify_chain(chain_from(options))
        if not result.ok:
            broken = result.broken
            where = f" (row id {broken.event_id})" if broken.event_id is not None else ""
            raise CommandError(f"{result.message}{where}")
        self.stdout.write(result.message)
