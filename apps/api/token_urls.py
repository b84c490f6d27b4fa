from django.urls import path

from apps.api import tokens

urlpatterns = [
    path("", tokens.token_list, name="api_tokens"),
    path("revoke/", tokens.token_revoke, name="api_token_revoke"),
]
