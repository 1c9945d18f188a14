from django import forms
from django.utils.translation import gettext_lazy as _


class ProductPhotoForm(forms.Form):
    # A FileField, not an ImageField: shops.photos checks the picture itself and says why
    # it refuses one.
    image = forms.FileField(
        label=_("Photo"),
        help_text=_("JPEG, PNG, WebP or GIF. Location and camera data are removed."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
    alt_text = forms.CharField(
        label=_("What the photo shows"),
        max_length=200,
        required=False,
        help_text=_("Read aloud to people who cannot see the picture."),
    )
