"""django-allauth hooks: redirects may point at any workspace subdomain of ours."""

from allauth.account.adapter import DefaultAccountAdapter

from apps.workspaces.hosts import slug_from_host, split_host


class AccountAdapter(DefaultAccountAdapter):
    def is_safe_url(self, url):
        from urllib.parse import urlsplit

        if super().is_safe_url(url):
            return True
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return False
        slug = slug_from_host(parts.netloc)
        return slug is not None and "." not in slug and bool(split_host(parts.netloc)[0])
