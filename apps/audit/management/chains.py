"""What the audit commands share: naming a chain on the command line."""

from __future__ import annotations

from datetime import date

from django.core.management.base import CommandError

from apps.workspaces.models import Workspace


def add_chain_arguments(parser) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--workspace", metavar="SLUG", help="the workspace whose chain to use")
    group.add_argument(
        "--platform", action="store_true", help="the platform chain (sign-ins and sign-outs)"
    )


def chain_from(options) -> Workspace | None:
    if options["platform"]:
        return None
    try:
        return Workspace.objects.get(slug=options["workspace"])
    except Workspace.DoesNotExist:
        raise CommandError(f"No workspace with the address {options['workspace']!r}.") from None


def parse_day(value: str | None, flag: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{flag} {value!r}: expected a date as YYYY-MM-DD") from None
