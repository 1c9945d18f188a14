from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopsConfig(AppConfig):
    name = "shops"
    verbose_name = _("Shops and catalogue")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .signals import claim_visitor_shopping_lists

        user_logged_in.connect(
            claim_visitor_shopping_lists, dispatch_uid="shops-claim-visitor-shopping-lists"
        )
