from django.urls import path

from .views import points as views

app_name = "loyalty"

urlpatterns = [
    # The supporter's side.
    path("wallet/", views.wallet, name="wallet"),
    path("wallet/card/", views.card, name="card"),
    path("wallet/offers/", views.offers, name="offers"),
    path("wallet/offers/<int:offer_id>/claim/", views.offer_claim, name="offer_claim"),
    # Where a scanned card's QR leads: the counter of one of the scanner's shops.
    path("card/<str:number>/", views.card_scanned, name="card_scanned"),
    # The shop's side (in the shop dashboard).
    path("dashboard/<int:shop_id>/counter/", views.counter, name="counter"),
    path("dashboard/<int:shop_id>/counter/award/", views.counter_award, name="counter_award"),
    path("dashboard/<int:shop_id>/counter/redeem/", views.counter_redeem, name="counter_redeem"),
    path(
        "dashboard/<int:shop_id>/counter/offer/", views.counter_offer_use, name="counter_offer_use"
    ),
    path("dashboard/<int:shop_id>/offers/", views.shop_offers, name="shop_offers"),
    path("dashboard/<int:shop_id>/settlement/", views.shop_settlement, name="shop_settlement"),
    # Presale campaigns (views/presales.py) ---------------------------------------------
]
