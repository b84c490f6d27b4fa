from django.urls import path

from apps.api.core import api

urlpatterns = [path("", api.urls)]
