"""Audit events recorded while serving the API say so ("via": "api" in their details), so
the timeline tells a script's change from a click without every action carrying a flag."""

from apps.audit.log import via

API_PATH = "/api/"


class AuditViaApi:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PATH):
            return self.get_response(request)
        with via("api"):
            return self.get_response(request)
