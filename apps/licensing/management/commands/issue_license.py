"""`manage.py issue_license`: sign a license token for a workspace (and optionally install it)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, time, timedelta

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, DjangoHelpFormatter

from apps.licensing.keys import NoIssuerKey, issuer_private_key
from apps.licensing.tokens import ENTITLEMENTS, PLAN_ENTITLEMENTS, PLANS, issue_token
from apps.workspaces.actions import ActionRefused
from apps.workspaces.models import Workspace

EXAMPLES = f"""\
examples:
  manage.py issue_license --workspace acme --plan pro --seats 25 --days 365
      Prints a one-year Pro token for the workspace "acme" with the Pro entitlements
      ({", ".join(PLAN_ENTITLEMENTS["pro"])}). Send it to the customer; an owner
      pastes it on the workspace's License page.

  manage.py issue_license --workspace acme --plan enterprise --seats 100 \\
      --entitlements online_apply,approvals,agents --not-before 2026-01-01 --days 90 --install
      Signs a token valid from 1 January 2026 (UTC) for 90 days and installs it here.

  manage.py license_public_key > nublox-license.pub
      The public key that verifies these tokens: give it to offline installs
      (NUBLOX_LICENSE_PUBLIC_KEY).

entitlements: {", ".join(ENTITLEMENTS)} (or "none")
The token is signed with NUBLOX_LICENSE_ISSUER_KEY, or the key file made on first use.
"""


class _Formatter(DjangoHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


def _entitlements(text: str) -> list[str]:
    names = [] if text.strip().lower() == "none" else [n.strip() for n in text.split(",")]
    names = [n for n in names if n]
    unknown = [n for n in names if n not in ENTITLEMENTS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown entitlement {', '.join(unknown)} (known: {', '.join(ENTITLEMENTS)})"
        )
    return names


def _date(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC)"
        ) from None
    if len(text) == 10:
        value = datetime.combine(value.date(), time())
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, not {text!r}")
    return value


class Command(BaseCommand):
    help = "Sign a license token (plan, seats, entitlements, validity) for one workspace."

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.epilog = EXAMPLES
        parser.formatter_class = _Formatter
        return parser

    def add_arguments(self, parser):
        parser.add_argument("--workspace", required=True, metavar="SLUG", help="workspace slug")
        parser.add_argument("--plan", required=True, choices=PLANS)
        parser.add_argument("--seats", required=True, type=_positive, metavar="N")
        parser.add_argument(
            "--entitlements",
            type=_entitlements,
            metavar="A,B",
            help="comma-separated entitlements (default: those of the plan)",
        )
        parser.add_argument(
            "--days", type=_positive, default=365, metavar="N", help="validity (default 365)"
        )
        parser.add_argument(
            "--not-before",
            type=_date,
            metavar="DATE",
            help="start of validity, YYYY-MM-DD or ISO 8601, UTC (default: now)",
        )
        parser.add_argument(
            "--audience",
            metavar="DOMAIN",
            help="bind the token to one installation (its NUBLOX_BASE_DOMAIN)",
        )
        parser.add_argument(
            "--install", action="store_true", help="install the token in this installation too"
        )

    def handle(self, *args, **o):
        slug = o["workspace"]
        entitlements = o["entitlements"]
        if entitlements is None:
            entitlements = list(PLAN_ENTITLEMENTS[o["plan"]])
        start = o["not_before"] or datetime.now(UTC).replace(microsecond=0)
        workspace = Workspace.objects.filter(slug=slug).first() if o["install"] else None
        if o["install"] and workspace is None:
            raise CommandError(f"--install: there is no workspace “{slug}” in this installation.")
        try:
            token = issue_token(
                issuer_private_key(),
                slug,
                o["plan"],
                o["seats"],
                entitlements,
                start,
                start + timedelta(days=o["days"]),
                audience=o["audience"],
            )
        except (NoIssuerKey, ImproperlyConfigured, ValueError) as exc:
            raise CommandError(str(exc)) from None
        if workspace is None:
            self.stdout.write(token)
            return
        from apps.licensing.actions import do_install_license

        try:
            row = do_install_license(workspace, token, None)
        except ActionRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Installed the {row.get_plan_display()} license for {workspace.name} "
            f"({row.seats} seats, until {row.expires_at:%Y-%m-%d %H:%M} UTC):\n{token}"
        )
