"""A user without a device who signs in on the way to a page that asks for one is sent to set
one up first; the setup's last page then offers the way on to that page.

The pages: a view with ``OTPRequiredMixin``, and ``otp_required`` views (with and without
``if_configured``), against a ``login_required`` one.
"""

import pytest
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import include, path, reverse
from django.views import View

from django_otp.decorators import otp_required
from two_factor.flows.setup import SECRET_SESSION_KEY
from two_factor.urls import urlpatterns as tf_urls
from two_factor.views.mixins import OTPRequiredMixin
from two_factor.views.setup import SETUP_NEXT_SESSION_KEY

from .conftest import PASSWORD
from .test_setup import COMPLETE, SETUP, post_step, to_generator, totp_token

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


class Secure(OTPRequiredMixin, View):
    def get(self, request):
        return HttpResponse("secure")


def page(request):
    return HttpResponse("page")


urlpatterns = [
    path("", include(tf_urls)),
    path("secure/", Secure.as_view(), name="secure"),
    path("otp-page/", otp_required(page)),
    path("otp-page-called/", otp_required(login_url="/elsewhere/")(page)),
    path("otp-page-if-configured/", otp_required(page, if_configured=True)),
    path("plain-page/", login_required(page)),
]

LOGIN = reverse("two_factor:login", urlconf=__name__)


def sign_in(client, username="alice", next_url=None):
    query = f"?next={next_url}" if next_url else ""
    return client.post(LOGIN + query, {"login_view-current_step": "auth",
                                       "auth-username": username, "auth-password": PASSWORD})


@pytest.mark.parametrize(("view_path", "expected"), [
    ("/secure/", True),
    ("/secure/?tab=1#top", True),
    ("http://testserver/secure/", True),
    ("/otp-page/", True),
    ("/otp-page-called/", True),
    ("/otp-page-if-configured/", False),
    ("/plain-page/", False),
    ("/no-such-page/", False),
    ("", False),
    (None, False),
])
def test_is_otp_view(view_path, expected):
    assert OTPRequiredMixin.is_otp_view(view_path) is expected


@pytest.mark.parametrize("next_url", ["/secure/", "/otp-page/"])
def test_a_user_without_a_device_is_sent_to_setup(client, user, next_url):
    response = sign_in(client, next_url=next_url)
    assert response.status_code == 302 and response.url == SETUP
    assert client.session[SETUP_NEXT_SESSION_KEY] == next_url
    assert client.get(next_url).status_code != 200  # not verified yet: no way in


def test_after_the_setup_the_page_offers_the_way_on_once(client, user):
    sign_in(client, next_url="/secure/?tab=1")
    key = to_generator(client)
    response = post_step(client, "generator", {"token": totp_token(key)})
    assert response.status_code == 302 and response.url == COMPLETE
    page = client.get(COMPLETE)
    assert 'href="/secure/?tab=1"' in page.content.decode()
    assert client.get("/secure/?tab=1").content == b"secure"  # the setup verified the session
    assert 'href="/secure/' not in client.get(COMPLETE).content.decode()


@pytest.mark.parametrize("next_url", ["/plain-page/", "/otp-page-if-configured/", None])
def test_other_pages_are_reached_directly(client, user, next_url):
    response = sign_in(client, next_url=next_url)
    assert response.status_code == 302
    assert response.url == (next_url or "/")
    assert SETUP_NEXT_SESSION_KEY not in client.session


def test_a_next_off_the_site_is_not_kept(client, user):
    response = sign_in(client, next_url="https://evil.example/secure/")
    assert response.status_code == 302 and response.url == "/"
    assert SETUP_NEXT_SESSION_KEY not in client.session


def test_a_user_with_a_device_signs_in_as_usual(client, user_with_totp, default_totp):
    response = sign_in(client, next_url="/secure/")
    assert response.status_code == 200
    assert response.context["wizard"]["steps"].current == "token"


def test_the_setup_page_ignores_a_next_off_the_site(client, user, user_with_totp):
    client.force_login(user)
    session = client.session
    session[SETUP_NEXT_SESSION_KEY] = "https://evil.example/"
    session.save()
    page = client.get(COMPLETE).content.decode()
    assert "evil.example" not in page
    assert SETUP_NEXT_SESSION_KEY not in client.session


def test_the_setup_page_takes_a_next_of_its_own(client, user):
    """A site's own link to the setup (``?next=``) leads on the same way; one off the site is
    not kept."""
    client.force_login(user)
    assert client.get(SETUP, {"next": "https://evil.example/"}).status_code == 200
    assert SETUP_NEXT_SESSION_KEY not in client.session
    client.get(SETUP, {"next": "/secure/"})
    post_step(client, "welcome")
    key = client.session[SECRET_SESSION_KEY]
    assert post_step(client, "generator", {"token": totp_token(key)}).url == COMPLETE
    assert 'href="/secure/"' in client.get(COMPLETE).content.decode()
