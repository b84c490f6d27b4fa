"""Create (or leave as it is) the demo user, the `demo` workspace and its sample database.

Safe to run on every start: existing objects are kept, nothing is duplicated.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from apps.connections.models import Connection
from apps.workspaces.models import Membership, Project, Workspace
from apps.workspaces.permissions import Role

SAMPLE_SQL = Path(__file__).resolve().parents[2] / "demo" / "sample_store.sql"


def build_sample_database(path: Path) -> bool:
    """Create the sample SQLite file unless it exists. Returns True if it was created."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    with sqlite3.connect(partial) as db:
        db.executescript(SAMPLE_SQL.read_text())
    db.close()
    partial.rename(path)
    return True


class Command(BaseCommand):
    help = "Create the demo user, the 'demo' workspace and its bundled sample SQLite database."

    def handle(self, *args, **options):
        sample = Path(settings.DATA_DIR) / "demo" / "sample_store.sqlite3"
        created_db = build_sample_database(sample)
        with transaction.atomic():
            user, created_user = get_user_model().objects.get_or_create(
                email=settings.DEMO_EMAIL, defaults={"username": "demo"}
            )
            if created_user:
                # The embedded demo's user also administers the platform (/admin/).
                user.set_password(settings.DEMO_PASSWORD)
                user.is_staff = user.is_superuser = True
                user.save()
            EmailAddress.objects.update_or_create(
                user=user,
                email=settings.DEMO_EMAIL,
                defaults={"verified": True, "primary": True},
            )
            workspace, _ = Workspace.objects.get_or_create(
                slug="demo", defaults={"name": "Demo", "created_by": user}
            )
            Membership.objects.get_or_create(
                workspace=workspace, user=user, defaults={"role": Role.OWNER}
            )
            project, _ = Project.objects.get_or_create(workspace=workspace, name="Default")
            Connection.objects.get_or_create(
                workspace=workspace,
                name="Sample store (SQLite)",
                defaults={"url": f"sqlite:///{sample}", "project": project, "created_by": user},
            )
        self.stdout.write(
            self.style.SUCCESS("Demo ready")
            + f" (sample database {'created' if created_db else 'kept'} at {sample})\n"
            + f"  sign in as {settings.DEMO_EMAIL} / "
            + (
                settings.DEMO_PASSWORD
                if created_user or user.check_password(settings.DEMO_PASSWORD)
                else "(password changed by you)"
            )
        )
