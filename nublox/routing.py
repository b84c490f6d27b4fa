"""Websocket routes, served by daphne next to the HTTP app (nublox/asgi.py)."""

from django.urls import path

from apps.jobs.consumers import RunConsumer

websocket_urlpatterns: list = [
    path("ws/runs/<int:run_id>/", RunConsumer.as_asgi()),
]
