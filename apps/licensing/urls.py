"""URLs of the licensing pages on a workspace subdomain."""

urlpatterns = []
