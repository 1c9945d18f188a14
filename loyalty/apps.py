from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    name = "loyalty"
    verbose_name = _("Loyalty and presales")

    def ready(self):
        from shops.signals import catalogue_shows

        from . import models

        # A shop's public page shows these and is kept until the catalogue changes.
        catalogue_shows(models.Campaign, models.Pledge)
