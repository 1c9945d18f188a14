from django.urls import path

from . import views

app_name = "orders"

urlpatterns = [
    path("cart/", views.cart_detail, name="cart"),
    path("cart/add/<int:product_id>/", views.cart_add, name="cart_add"),
    path("cart/lines/<int:line_id>/", views.cart_line_update, name="cart_line"),
    path("checkout/", views.checkout, name="checkout"),
    path("orders/", views.my_purchases, name="my_purchases"),
    path("orders/<int:purchase_id>/", views.purchase_detail, name="purchase_detail"),
    path("orders/<int:purchase_id>/pay/", views.purchase_pay, name="purchase_pay"),
    path(
        "orders/<int:purchase_id>/<int:order_id>/cancel/",
        views.purchase_order_cancel,
        name="purchase_order_cancel",
    ),
    path("shop-orders/collect/", views.collect_by_code, name="collect_by_code"),
    path("shop-orders/<int:shop_id>/", views.shop_orders, name="shop_orders"),
    path("shop-orders/<int:shop_id>/<int:order_id>/", views.shop_order_detail, name="shop_order"),
    path(
        "shop-orders/<int:shop_id>/<int:order_id>/step/",
        views.shop_order_transition,
        name="shop_order_transition",
    ),
    path(
        "shop-orders/<int:shop_id>/<int:order_id>/collect/",
        views.shop_order_collect,
        name="shop_order_collect",
    ),
    path("payments/stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
]
