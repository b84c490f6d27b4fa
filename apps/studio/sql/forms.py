"""The editor's form: where to run, what, and within which bounds."""

from __future__ import annotations

import secrets

from django import forms

from apps.studio.sql.runner import setting


def new_query_id() -> str:
    """A fresh id for the next run, so its Cancel button can name it."""
    return secrets.token_hex(16)


def target_choices(workspace) -> list:
    """Grouped choices: each connection (its URL's default database), then its learned
    databases. Values are "<connection id>" or "<connection id>:<database>"."""
    groups = []
    connections = workspace.connections.select_related("policy").prefetch_related("databases")
    for connection in connections:
        options = [(str(connection.pk), f"{connection.name} (default database)")]
        options += [
            (f"{connection.pk}:{database.name}", f"{connection.name} / {database.name}")
            for database in connection.databases.all()
        ]
        groups.append((connection.name, options))
    return groups


class EditorForm(forms.Form):
    target = forms.ChoiceField(label="Connection and database")
    sql = forms.CharField(
        label="Statement",
        max_length=200_000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false", "class": "sql"}),
    )
    row_limit = forms.IntegerField(label="Row limit", min_value=1)
    timeout_s = forms.IntegerField(label="Timeout (s)", min_value=1)
    query_id = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)

    def __init__(self, workspace, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = target_choices(workspace)
        self.fields["row_limit"].initial = setting("SQL_EDITOR_ROW_LIMIT")
        self.fields["timeout_s"].initial = 30
        self.fields["query_id"].initial = new_query_id()

    def clean_row_limit(self) -> int:
        value = self.cleaned_data["row_limit"]
        most = setting("SQL_EDITOR_MAX_ROW_LIMIT")
        if value > most:
            raise forms.ValidationError(f"At most {most} rows (SQL_EDITOR_MAX_ROW_LIMIT).")
        return value

    def target_parts(self) -> tuple[int, str]:
        connection_id, _, database = self.cleaned_data["target"].partition(":")
        return int(connection_id), database
