"""Schemathesis generates requests from the API's own OpenAPI document: whatever it sends,
the API answers without a server error and as the document says."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from shops import services
from shops.api_schema import openapi_document

from .factories import ProductFactory, ShopFactory

schema = schemathesis.openapi.from_dict(openapi_document("http://localhost"))
schema.app = get_wsgi_application()


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    # Served through WSGI, Django closes database connections after each request; the test
    # client avoids that the same way: the test's transaction must stay open.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_shop(db):
    shop = ShopFactory()
    ProductFactory(shop=shop, sku="RYE")
    _token, secret = services.api_token_create(shop=shop, name="Fuzz", user=None)
    return shop, secret


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.django_db
def test_the_api_keeps_to_its_document(case, api_shop, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 10_000
    shop, secret = api_shop
    case.path_parameters = {**(case.path_parameters or {}), "shop_id": shop.pk}
    # Every check but the two about which inputs the document allows: like most HTTP APIs,
    # ours ignores unknown query parameters, and refuses, with a 400 saying why, values the
    # schema cannot express (a category that does not exist, a third decimal in a price).
    case.call_and_validate(
        headers={"Authorization": f"Bearer {secret}"},
        excluded_checks=[negative_data_rejection, positive_data_acceptance],
    )
