"""Error pages in the site's own look, each with a way home and to the person's orders. A
database that cannot answer gets 503 with Retry-After, rendered without the database."""

import pytest
from django.db import OperationalError
from django.urls import reverse

from marketplace.tests.factories import UserFactory
from marketplace.views import shop_selectors

pytestmark = pytest.mark.django_db


def assert_in_our_look(html: str):
    assert 'class="site-header"' in html and 'class="site-footer"' in html
    assert "css/commonplace.css" in html
    assert f'href="{reverse("marketplace:home")}"' in html
    assert f'href="{reverse("orders:my_purchases")}">My orders</a>' in html


def test_a_missing_page_answers_404_in_our_look(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "<h1>Page not found</h1>" in html
    assert_in_our_look(html)
    assert "Log in" in html


def test_a_signed_in_person_keeps_their_menu_on_a_missing_page(client):
    client.force_login(UserFactory())
    html = client.get("/no-such-page/").content.decode()
    assert "My points" in html and "Log out" in html


@pytest.fixture
def failing_home(monkeypatch, client):
    """The start page raises what its first query raises; the client answers as a server
    would instead of re-raising in the test."""

    def fail_with(error):
        def shop_list(*args, **kwargs):
            raise error

        monkeypatch.setattr(shop_selectors, "shop_list", shop_list)
        client.raise_request_exception = False
        return client.get(reverse("marketplace:home"))

    return fail_with


def test_an_unreachable_database_answers_503_in_our_look_without_a_query(
    failing_home, django_assert_num_queries
):
    error = OperationalError("connection to server at 127.0.0.1 failed: Connection refused")
    with django_assert_num_queries(0):
        response = failing_home(error)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    html = response.content.decode()
    assert "<h1>Back in a moment</h1>" in html
    assert_in_our_look(html)
    # No sign-in offered while accounts cannot be read, and no form that would fail CSRF.
    assert "Log in" not in html and "language-form" not in html


def test_an_error_raised_from_a_database_error_still_answers_503(failing_home):
    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError as cause:
        wrapped = RuntimeError("rendering failed")
        wrapped.__cause__ = cause
    assert failing_home(wrapped).status_code == 503


def test_any_other_error_answers_500_in_our_look(failing_home):
    response = failing_home(ZeroDivisionError("a bug"))
    assert response.status_code == 500
    assert "Retry-After" not in response
    html = response.content.decode()
    assert "<h1>Something went wrong</h1>" in html
    assert_in_our_look(html)
