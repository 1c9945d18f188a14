from django.urls import path

from .views import public as views

app_name = "shops"

urlpatterns = [
    path("", views.shop_list, name="shop_list"),
    path(
        "manage/<int:shop_id>/products/<int:product_id>/photos/add/",
        views.product_photo_add,
        name="product_photo_add",
    ),
    path("<slug:slug>/", views.shop_detail, name="shop_detail"),
    path("<slug:shop_slug>/<slug:slug>/", views.product_detail, name="product_detail"),
]
