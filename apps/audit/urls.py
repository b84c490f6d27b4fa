"""URLs of the audit pages on a workspace subdomain."""

urlpatterns = []
