from django.urls import path

from .presales import views as presales
from .views import points as views

app_name = "loyalty"

urlpatterns = [
    # The supporter's side.
    path("wallet/", views.wallet, name="wallet"),
    path("wallet/card/", views.card, name="card"),
    path("wallet/offers/", views.offers, name="offers"),
    path("wallet/offers/<int:offer_id>/claim/", views.offer_claim, name="offer_claim"),
    path("wallet/manifest.webmanifest", views.wallet_manifest, name="wallet_manifest"),
    path("wallet/service-worker.js", views.wallet_service_worker, name="wallet_service_worker"),
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
    # Presale campaigns (presales/views.py) ---------------------------------------------
    path("presales/", presales.presale_list, name="presale_list"),
    path("presales/<int:campaign_id>/", presales.campaign_detail, name="campaign_detail"),
    path("presales/<int:campaign_id>/pledge/", presales.pledge_create, name="pledge_create"),
    path("presales/mine/", presales.my_pledges, name="my_pledges"),
    path("presales/mine/<int:pledge_id>/", presales.pledge_detail, name="pledge_detail"),
    path("presales/mine/<int:pledge_id>/pay/", presales.pledge_pay, name="pledge_pay"),
    path("presales/mine/<int:pledge_id>/withdraw/", presales.pledge_cancel, name="pledge_cancel"),
    path("dashboard/<int:shop_id>/presales/", presales.shop_campaigns, name="shop_campaigns"),
    path(
        "dashboard/<int:shop_id>/presales/new/",
        presales.shop_campaign_new,
        name="shop_campaign_new",
    ),
    path(
        "dashboard/<int:shop_id>/presales/<int:campaign_id>/",
        presales.shop_campaign,
        name="shop_campaign",
    ),
    path(
        "dashboard/<int:shop_id>/presales/<int:campaign_id>/edit/",
        presales.shop_campaign_edit,
        name="shop_campaign_edit",
    ),
    path(
        "dashboard/<int:shop_id>/presales/<int:campaign_id>/publish/",
        presales.shop_campaign_publish,
        name="shop_campaign_publish",
    ),
    path(
        "dashboard/<int:shop_id>/presales/<int:campaign_id>/open-redemption/",
        presales.shop_campaign_open_redemption,
        name="shop_campaign_open_redemption",
    ),
    path(
        "dashboard/<int:shop_id>/presales/<int:campaign_id>/cancel/",
        presales.shop_campaign_cancel,
        name="shop_campaign_cancel",
    ),
    path(
        "dashboard/<int:shop_id>/counter/presale/redeem/",
        presales.counter_presale_redeem,
        name="counter_presale_redeem",
    ),
    path(
        "dashboard/<int:shop_id>/counter/presale/paid/",
        presales.counter_pledge_paid,
        name="counter_pledge_paid",
    ),
    path(
        "dashboard/<int:shop_id>/counter/presale/handed-back/",
        presales.counter_refund_handed,
        name="counter_refund_handed",
    ),
]
