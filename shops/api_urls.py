from django.urls import path

from .views import api

app_name = "api"

urlpatterns = [
    path("openapi.json", api.openapi, name="openapi"),
    path("shops/<int:shop_id>/products", api.products, name="products"),
    path("shops/<int:shop_id>/products/batch", api.products_batch, name="products_batch"),
    path("shops/<int:shop_id>/products/<str:sku>", api.product, name="product"),
    path("shops/<int:shop_id>/stock", api.stock, name="stock"),
    path("shops/<int:shop_id>/orders", api.orders, name="orders"),
]
