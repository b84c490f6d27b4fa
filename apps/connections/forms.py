"""Forms for connections and their policies. They only collect and shape input; the writes
(and the checks a person must see, like "no password in the URL") are the actions'.

The password field never renders a value, and a URL typed with a password in it is shown
back without it: nothing a person typed as a password ever comes back in a page.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django import forms
from django.forms.models import fields_for_model, model_to_dict

from apps.connections.actions import PASSWORD_QUERY_KEYS, POLICY_FIELDS
from apps.connections.models import ConnectionPolicy

URL_HELP = (
    "postgresql://user@host:5432/db, mysql://user@host:3306/, mariadb://…, "
    "sqlite:////path/file.db. Without the password: it goes in the field below."
)


def without_password(url: str) -> tuple[str, bool]:
    """(the URL with any password removed, whether there was one)."""
    try:
        parts = urlsplit(url)
        password = parts.password
        query = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError:
        return "", True  # unreadable: show nothing of it rather than risk echoing a secret
    kept = [(k, v) for k, v in query if k.lower() not in PASSWORD_QUERY_KEYS]
    if password is None and len(kept) == len(query):
        return url, False
    netloc = parts.netloc.rsplit("@", 1)
    if len(netloc) == 2:
        netloc[0] = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc="@".join(netloc), query=urlencode(kept))), True


class ConnectionForm(forms.Form):
    name = forms.CharField(max_length=100)
    url = forms.CharField(label="URL", max_length=500, help_text=URL_HELP)
    password = forms.CharField(
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Stored in the secret store, never shown again.",
    )
    clear_password = forms.BooleanField(
        required=False, label="Remove the stored password (files, passwordless servers)"
    )
    policy = forms.ModelChoiceField(
        queryset=ConnectionPolicy.objects.none(), required=False, empty_label="Default"
    )
    project = forms.ModelChoiceField(queryset=None, required=False, empty_label="(none)")

    def __init__(self, workspace, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.url_had_password = False
        if self.is_bound:
            data = self.data.copy()
            data["url"], self.url_had_password = without_password(data.get("url", ""))
            self.data = data
        self.fields["policy"].queryset = workspace.connection_policies.all()
        self.fields["project"].queryset = workspace.projects.all()
        if editing:
            self.fields["policy"].empty_label = None
            self.fields[
                "password"
            ].help_text = "Leave empty to keep the stored password; a new one replaces it."
        else:
            del self.fields["clear_password"]

    def clean_url(self):
        if self.url_had_password:
            raise forms.ValidationError(
                "Put the password in the password field, not in the URL: it is kept in the "
                "secret store, and the URL is shown on pages."
            )
        return self.cleaned_data["url"]

    @classmethod
    def initial_for(cls, connection) -> dict:
        return {
            "name": connection.name,
            "url": connection.url,
            "policy": connection.policy_id,
            "project": connection.project_id,
        }


class PolicyForm(forms.Form):
    """Every ConnectionPolicy setting, with the model's own labels, help and defaults."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(fields_for_model(ConnectionPolicy, fields=["name", *POLICY_FIELDS]))

    @staticmethod
    def initial_for(policy) -> dict:
        return model_to_dict(policy, fields=["name", *POLICY_FIELDS])

    def settings(self) -> dict:
        """The policy fields (without the name), for do_save_policy."""
        return {k: self.cleaned_data[k] for k in POLICY_FIELDS}
