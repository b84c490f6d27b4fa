from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "apps.connections"
    verbose_name = "Connections"

    def ready(self) -> None:
        from apps.connections.learning import learn_stopped
        from apps.jobs.signals import run_reaped

        run_reaped.connect(learn_stopped, dispatch_uid="connections.learn_stopped")
