from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "apps.api"
    verbose_name = "API"

    def ready(self):
        from apps.api import checks  # noqa: F401  (registers the start-up check)
