"""Websocket routes. Job progress streams arrive with the Studio issue (#7)."""

websocket_urlpatterns: list = []
