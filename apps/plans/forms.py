"""The "new plan" form: a target database, and where the desired schema comes from."""

from __future__ import annotations

from django import forms

from apps.connections import snapshots
from apps.connections.models import DatabaseSchema, Snapshot
from apps.plans.actions import snapshot_label
from apps.plans.models import Plan
from engine import errors
from engine.cli_plan import parse_renames

MAX_SQL_BYTES = 2 * 1024 * 1024


class DatabaseChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: DatabaseSchema) -> str:
        return f"{obj.connection.name} / {obj.name}"


class SnapshotChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Snapshot) -> str:
        return f"{snapshot_label(obj)} ({obj.profile_hash[:12]})"


class PlanForm(forms.Form):
    title = forms.CharField(max_length=200)
    target = DatabaseChoice(
        queryset=DatabaseSchema.objects.none(), help_text="the database the plan changes"
    )
    source_kind = forms.ChoiceField(
        choices=Plan.Source.choices, widget=forms.RadioSelect, initial=Plan.Source.SQL
    )
    source_live = DatabaseChoice(
        queryset=DatabaseSchema.objects.none(),
        required=False,
        help_text="learned now, at plan time",
        label="Live database",
    )
    source_snapshot = SnapshotChoice(
        queryset=Snapshot.objects.none(),
        required=False,
        help_text="a database's schema as it was at that moment",
        label="Stored snapshot",
    )
    desired_sql = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12, "class": "code", "spellcheck": "false"}),
        required=False,
        label="Desired-state SQL",
        help_text="the whole schema as it should be (CREATE statements)",
    )
    sql_file = forms.FileField(required=False, label="…or upload a .sql file")
    renames = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2, "class": "code"}),
        required=False,
        help_text="one per line: table:old=new, column:table.old=new, "
        "constraint:table.old=new, index:old=new or view:old=new",
    )

    def __init__(self, workspace, *args, **kwargs):
        super().__init__(*args, **kwargs)
        databases = DatabaseSchema.objects.filter(connection__workspace=workspace).select_related(
            "connection"
        )
        self.fields["target"].queryset = databases
        self.fields["source_live"].queryset = databases
        self.fields["source_snapshot"].queryset = snapshots.of_workspace(workspace)

    def clean_sql_file(self):
        upload = self.cleaned_data.get("sql_file")
        if upload is None:
            return ""
        if upload.size > MAX_SQL_BYTES:
            raise forms.ValidationError("The file is larger than 2 MB.")
        try:
            return upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise forms.ValidationError("The file is not UTF-8 text.") from None

    def clean_renames(self):
        text = self.cleaned_data.get("renames", "")
        try:
            parse_renames([line.strip() for line in text.splitlines() if line.strip()])
        except errors.ConfigError as exc:
            raise forms.ValidationError(str(exc)) from None
        return text

    def clean(self):
        data = super().clean()
        kind = data.get("source_kind")
        if kind == Plan.Source.LIVE and not data.get("source_live"):
            self.add_error("source_live", "Choose the live database the schema comes from.")
        if kind == Plan.Source.SNAPSHOT and not data.get("source_snapshot"):
            self.add_error("source_snapshot", "Choose the snapshot the schema comes from.")
        if kind == Plan.Source.SQL:
            data["desired_sql"] = data.get("sql_file") or data.get("desired_sql", "")
            if not data["desired_sql"].strip():
                self.add_error("desired_sql", "Paste the desired-state SQL or upload a file.")
        return data

    def plan_fields(self) -> dict:
        """Keyword arguments of `do_create_plan` from the cleaned form."""
        data = self.cleaned_data
        target, kind = data["target"], data["source_kind"]
        fields = {
            "connection": target.connection,
            "database": target.name,
            "title": data["title"],
            "source_kind": kind,
            "renames": data.get("renames", ""),
        }
        if kind == Plan.Source.LIVE:
            live = data["source_live"]
            fields.update(source_connection=live.connection, source_database=live.name)
        elif kind == Plan.Source.SNAPSHOT:
            fields["source_snapshot"] = data["source_snapshot"]
        else:
            fields["desired_sql"] = data["desired_sql"]
        return fields
