from django import forms


class InstallForm(forms.Form):
    token = forms.CharField(
        label="License token",
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false", "autocomplete": "off"}),
        help_text="Paste the whole token (three parts joined by dots).",
    )


class RevokeForm(forms.Form):
    license_id = forms.IntegerField(min_value=1)
