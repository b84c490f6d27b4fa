"""URLs of the SQL editor on a workspace subdomain."""

urlpatterns = []
