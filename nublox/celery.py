"""The Celery app. Broker and options come from Django settings (CELERY_* names)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nublox.settings")

app = Celery("nublox")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="nublox.ping")
def ping() -> str:
    """Liveness probe used by the run script and tests: proves a worker consumes tasks."""
    return "pong"
