"""The REST API v1 (django-ninja) on a workspace's subdomain: the Studio's services,
scriptable, behind the same permissions, entitlements and audit as the pages."""
