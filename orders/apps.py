from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders and payments")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .signals import merge_visitor_cart

        user_logged_in.connect(merge_visitor_cart, dispatch_uid="orders-merge-visitor-cart")
