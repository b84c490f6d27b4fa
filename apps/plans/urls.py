"""URLs of the plans pages on a workspace subdomain."""

urlpatterns = []
