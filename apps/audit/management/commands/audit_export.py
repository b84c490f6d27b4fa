from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.audit.bundle import ExportRefused, export_bundle
from apps.audit.management.chains import add_chain_arguments, chain_from, parse_day


class Command(BaseCommand):
    help = "Export a date range of one audit chain as a signed bundle (.zip)."

    def add_arguments(self, parser):
        add_chain_arguments(parser)
        parser.add_argument("--from", dest="start", metavar="DATE", help="first day (UTC)")
        parser.add_argument("--to", dest="end", metavar="DATE", help="last day (UTC), included")
        parser.add_argument("-o", "--output", required=True, type=Path, help="bundle file")

    def handle(self, *args, **options):
        workspace = chain_from(options)
        start = parse_day(options["start"], "--from")
        end = parse_day(options["end"], "--to")
        if start and end and start > end:
            raise CommandError("--from is after --to.")
        output: Path = options["output"]
        partial = output.with_name(output.name + ".partial")
        try:
            with partial.open("wb") as sink:
                manifest = export_bundle(workspace, sink, start, end)
            partial.replace(output)
        except ExportRefused as exc:
            raise CommandError(str(exc)) from None
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(
            f"Wrote {output}: {manifest['count']} events "
            f"({manifest['first_seq']}-{manifest['last_seq']}), last hash {manifest['last_hash']}"
        )
