from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _


class ProfileForm(forms.ModelForm):
    class Meta:
        model = get_user_model()
        fields = ["display_name", "first_name", "last_name", "phone"]


def _signup_form_base():
    # Imported late: allauth's forms load the user model, which this module must not need.
    from allauth.account.forms import SignupForm

    return SignupForm


class FriendlySignupForm(_signup_form_base()):
    """allauth's sign-up with plain labels and one line about the password instead of
    the validators' list."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("Your email")
        self.fields["email"].help_text = _("We send the confirmation link and your orders here.")
        self.fields["password1"].label = _("Choose a password")
        self.fields["password1"].help_text = _(
            "At least 8 characters; not a common password, nor only numbers."
        )
        if "password2" in self.fields:
            self.fields["password2"].label = _("The same password again")
        for field in self.fields.values():
            field.widget.attrs.pop("placeholder", None)
