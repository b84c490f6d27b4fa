from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "apps.audit"
    verbose_name = "Audit timeline"

    def ready(self):
        from apps.audit import signals

        signals.connect()
