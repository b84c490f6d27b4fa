"""The NuBlox SQLx OS platform (Django project)."""

from nublox.celery import app as celery_app

__all__ = ("celery_app",)
