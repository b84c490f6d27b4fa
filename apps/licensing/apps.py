from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "apps.licensing"
    verbose_name = "Licensing"

    def ready(self):
        from apps.licensing import checks  # noqa: F401  (registers the key checks)
