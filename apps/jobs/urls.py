"""URLs of the jobs pages on a workspace subdomain."""

urlpatterns = []
