"""Platform staff pages on the apex domain: every workspace's license."""

urlpatterns = []
