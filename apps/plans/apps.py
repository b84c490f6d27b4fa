from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "apps.plans"
    verbose_name = "Plans"

    def ready(self) -> None:
        # Register the nublox.jobs.plan/apply/rollback tasks in every process (Celery's
        # autodiscovery only runs in workers): do_start_run checks the task name exists.
        from apps.plans import tasks  # noqa: F401
