"""URLs of the schema explorer on a workspace subdomain."""

urlpatterns = []
