from django import forms

from apps.workspaces.models import Workspace
from apps.workspaces.permissions import Role
from apps.workspaces.slugs import validate_slug


class WorkspaceForm(forms.Form):
    name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"autofocus": True}))
    slug = forms.CharField(
        label="Address",
        max_length=63,
        help_text="Lowercase letters, digits and hyphens. Your workspace lives at "
        "<address>.<domain>.",
    )

    def clean_slug(self):
        slug = self.cleaned_data["slug"].strip().lower()
        validate_slug(slug)
        if Workspace.objects.filter(slug=slug).exists():
            raise forms.ValidationError(f"The address “{slug}” is already taken.")
        return slug


class InviteForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.DEVELOPER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class ProjectForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class WorkspaceSettingsForm(forms.Form):
    name = forms.CharField(max_length=100)
