from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=8)
    happened_at = forms.DateTimeField(required=False, widget=forms.HiddenInput)


class DeliveryForm(forms.Form):
    code = forms.CharField(label=_("Customer's delivery code"), max_length=8, required=False)
    photo = forms.FileField(
        label=_("Or a photo of where you left it"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    happened_at = forms.DateTimeField(required=False, widget=forms.HiddenInput)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Why?"), max_length=300)
