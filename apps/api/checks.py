"""Start-up check: a malformed NUBLOX_API_RATE_LIMIT stops `manage.py check` and migrate
(which the run command calls first), instead of turning every API call into an error."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

from apps.api.auth import parse_rate


@checks.register()
def api_rate_limit(app_configs=None, **kwargs):
    try:
        parse_rate(settings.NUBLOX_API_RATE_LIMIT)
    except ValueError as exc:
        return [checks.Error(str(exc), hint="e.g. 600/min, 20/sec, 10000/hour", id="api.E001")]
    return []
