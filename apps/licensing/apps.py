from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "apps.licensing"
    verbose_name = "Licensing"
