from django import forms

#: The stable action names (docs/audit.md), offered by the timeline's action filter.
#: Every action the platform records (tests/audit checks each `record(...)` call's name is
#: here, so the filter never misses one).
ACTIONS = (
    "account.sign_in", "account.sign_in_failed", "account.sign_out", "workspace.create",
    "workspace.rename", "member.invite", "member.accept", "member.role_change", "member.remove",
    "invitation.revoke", "project.save", "connection.create", "connection.update",
    "connection.delete", "connection.test", "secret.read", "policy.save", "learn",
    "run.start", "run.finish", "query.run", "query.export", "plan.create", "plan.compute",
    "plan.comment", "plan.approve", "plan.reconcile", "apply.request", "apply",
    "rollback.request", "rollback", "license.install", "license.revoke", "api_token.create",
    "api_token.revoke",
)  # fmt: skip


class TimelineFilter(forms.Form):
    action = forms.ChoiceField(required=False)
    actor = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)

    def __init__(self, data, *, members):
        super().__init__(data)
        self.fields["action"].choices = [("", "All actions")] + [(a, a) for a in ACTIONS]
        self.fields["actor"].choices = [("", "Everyone")] + [
            (m.user_id, m.user.email) for m in members
        ]

    def apply(self, events):
        if not self.is_valid():
            return events
        if self.cleaned_data["action"]:
            events = events.filter(action=self.cleaned_data["action"])
        if self.cleaned_data["actor"] is not None:
            events = events.filter(actor_id=self.cleaned_data["actor"])
        return events


class ExportForm(forms.Form):
    start = forms.DateField(label="From", required=False, widget=forms.DateInput({"type": "date"}))
    end = forms.DateField(label="To", required=False, widget=forms.DateInput({"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise forms.ValidationError("“From” is after “To”.")
        return data
