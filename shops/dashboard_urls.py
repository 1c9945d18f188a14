from django.urls import path

from .views import dashboard

app_name = "dashboard"

urlpatterns = [
    path("", dashboard.dashboard_start, name="start"),
    path("<int:shop_id>/", dashboard.dashboard_home, name="home"),
    path("<int:shop_id>/products/", dashboard.product_list, name="products"),
    path("<int:shop_id>/products/new/", dashboard.product_edit, name="product_new"),
    path("<int:shop_id>/products/bulk/", dashboard.product_bulk, name="products_bulk"),
    path("<int:shop_id>/products/<int:product_id>/", dashboard.product_edit, name="product"),
    path("<int:shop_id>/demand/", dashboard.demand, name="demand"),
    path("<int:shop_id>/settings/", dashboard.shop_settings, name="settings"),
    path("<int:shop_id>/team/", dashboard.team, name="team"),
    path("invitations/<str:token>/", dashboard.invitation, name="invitation"),
    path("<int:shop_id>/reports/", dashboard.reports, name="reports"),
    path("<int:shop_id>/api-tokens/", dashboard.api_tokens, name="api_tokens"),
    path(
        "<int:shop_id>/api-tokens/<int:token_id>/revoke/",
        dashboard.api_token_revoke,
        name="api_token_revoke",
    ),
    path("<int:shop_id>/import/", dashboard.product_import, name="import_start"),
    path("<int:shop_id>/import/<int:import_id>/", dashboard.product_import_detail, name="import"),
    path(
        "<int:shop_id>/export.<str:file_format>",
        dashboard.product_export,
        name="export",
    ),
    path(
        "<int:shop_id>/products/<int:product_id>/duplicate/",
        dashboard.product_duplicate,
        name="product_duplicate",
    ),
    path(
        "<int:shop_id>/products/<int:product_id>/photos/<int:photo_id>/",
        dashboard.product_photo_order,
        name="photo_order",
    ),
]
