"""The enforcement policy: RequireTwoFactorMiddleware sends the users it covers to set up (or use)
two-factor authentication, with a grace period and exempt URLs; and its system checks."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from asgiref.sync import async_to_sync, iscoroutinefunction
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser, Group
from django.contrib.messages import get_messages
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.http import HttpResponse
from django.test import AsyncClient, Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, resolve, reverse, reverse_lazy
from django.utils import timezone

from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor import checks
from two_factor.flows import policy
from two_factor.middleware import enforce
from two_factor.urls import urlpatterns as tf_urls

from .conftest import login_password_only, login_verified
from .test_setup import COMPLETE, post_step, to_generator, totp_token

ENFORCE = "two_factor.middleware.enforce.RequireTwoFactorMiddleware"
SETUP = reverse("two_factor:setup")
REAUTH = reverse("two_factor:reauthenticate")
PAGE = "/otp/username/"  # a page that does not ask whether the user is verified
STATUS = "/otp/status/"  # one that does (as 2FA-aware pages do)
GRACE = 7 * 24 * 3600


def carol_needs_two_factor(user):
    """The dotted-path callable of the tests."""
    return user.get_username() == "carol"


@pytest.fixture
def enforced(settings):
    """The middleware installed where it belongs; no setting covers anybody yet."""
    settings.MIDDLEWARE = [*django_settings.MIDDLEWARE, ENFORCE]
    return settings


def redirect_target(response):
    assert response.status_code == 302, response.status_code
    parts = urlsplit(response.url)
    return parts.path, parse_qs(parts.query).get("next")


# Who is covered


@pytest.mark.parametrize("setting, extra", [
    ("TWO_FACTOR_ENFORCE_SUPERUSERS", {"is_superuser": True}),
    ("TWO_FACTOR_ENFORCE_STAFF", {"is_staff": True}),
])
def test_flags_cover_users(enforced, client, make_user, setting, extra):
    setattr(enforced, setting, True)
    covered, other = make_user("root", **extra), make_user("plain")
    client.force_login(covered)
    assert redirect_target(client.get(PAGE + "?a=1")) == (SETUP, [PAGE + "?a=1"])
    client.force_login(other)
    assert client.get(PAGE).status_code == 200


def test_superusers_only_leave_staff_alone(enforced, client, make_user):
    enforced.TWO_FACTOR_ENFORCE_SUPERUSERS = True
    client.force_login(make_user("staff", is_staff=True))
    assert client.get(PAGE).status_code == 200


def test_groups_cover_their_members(enforced, client, make_user):
    enforced.TWO_FACTOR_ENFORCE_GROUPS = ["admins", "finance"]
    member, outsider = make_user("member"), make_user("outsider")
    member.groups.add(Group.objects.create(name="finance"))
    outsider.groups.add(Group.objects.create(name="sales"))
    client.force_login(member)
    assert redirect_target(client.get(PAGE)) == (SETUP, [PAGE])
    client.force_login(outsider)
    assert client.get(PAGE).status_code == 200


@pytest.mark.parametrize("value", ["tests.two_factor.test_enforcement.carol_needs_two_factor",
                                   carol_needs_two_factor])
def test_callable_covers_whom_it_says(enforced, client, make_user, value):
    enforced.TWO_FACTOR_ENFORCE_CALLABLE = value
    client.force_login(make_user("carol"))
    assert redirect_target(client.get(PAGE)) == (SETUP, [PAGE])
    client.force_login(make_user("dave"))
    assert client.get(PAGE).status_code == 200


def test_user_must_use_two_factor(settings, make_user):
    alice = make_user()
    assert not policy.user_must_use_two_factor(alice)
    settings.TWO_FACTOR_ENFORCE_GROUPS = "admins"  # one name, not a list: still understood
    alice.groups.add(Group.objects.create(name="admins"))
    assert policy.user_must_use_two_factor(alice)
    settings.TWO_FACTOR_ENFORCE_GROUPS = ()
    settings.TWO_FACTOR_ENFORCE_CALLABLE = lambda user: True
    assert policy.user_must_use_two_factor(alice)
    assert not policy.user_must_use_two_factor(AnonymousUser())


@pytest.mark.parametrize("path, says", [
    ("tests.two_factor.test_enforcement.missing", "cannot be imported"),
    ("tests.two_factor.test_enforcement.GRACE", "is not callable"),  # imports, but a number
])
def test_a_callable_that_does_not_import_is_loud(settings, user, path, says):
    settings.TWO_FACTOR_ENFORCE_CALLABLE = path
    with pytest.raises(ImproperlyConfigured, match=says):
        policy.user_must_use_two_factor(user)


def test_the_flags_cover_no_user_model_without_them(settings):
    """A custom user model without ``is_superuser`` / ``is_staff`` (no PermissionsMixin): the
    flag settings cover none of its users."""
    settings.TWO_FACTOR_ENFORCE_SUPERUSERS = settings.TWO_FACTOR_ENFORCE_STAFF = True

    class PlainUser:
        is_authenticated = True

    assert not policy.covered_by_flags(PlainUser())
    assert not policy.user_must_use_two_factor(PlainUser())


# What happens to a covered user


@pytest.fixture
def superuser(make_user):
    return make_user("root", is_superuser=True, is_staff=True)


@pytest.fixture
def superusers_enforced(enforced):
    enforced.TWO_FACTOR_ENFORCE_SUPERUSERS = True
    return enforced


def test_verified_passes(superusers_enforced, client, superuser):
    device = TOTPDevice.objects.create(user=superuser, name="default")
    login_verified(client, superuser, device)
    assert client.get(PAGE).status_code == 200


def test_a_device_but_no_verification_goes_to_reauthenticate(superusers_enforced, client, superuser):
    TOTPDevice.objects.create(user=superuser, name="default")
    login_password_only(client, superuser)
    assert redirect_target(client.get(STATUS)) == (REAUTH, [STATUS])
    page = client.get(REAUTH, {"next": STATUS})
    assert page.status_code == 200  # and that page is open to them
    # It says why they are there: an ordinary page wants a second factor, not "this action".
    body = page.content.decode()
    assert "you signed in with your password alone" in body
    assert "this action needs a recent confirmation" not in body


def test_a_post_gets_a_403_that_says_why(superusers_enforced, client, superuser):
    login_password_only(client, superuser)
    response = client.post(PAGE, {"a": "b"})
    assert response.status_code == 403
    assert SETUP in response.content.decode()
    assert "two-factor authentication yet" in response.content.decode()


def test_anonymous_users_are_untouched(superusers_enforced, client, db):
    assert client.get(PAGE).status_code == 200
    assert client.get(reverse("two_factor:profile")).status_code == 302  # its own login redirect


@pytest.mark.parametrize("url", [SETUP, reverse("two_factor:login"), REAUTH,
                                 reverse("two_factor:setup_complete")])
def test_the_pages_to_comply_are_exempt(superusers_enforced, client, superuser, url):
    login_password_only(client, superuser)
    response = client.get(url)
    assert not (response.status_code == 302 and response.url.startswith((SETUP, REAUTH))), url


# two_factor's URLs included a second time, under an instance namespace of the site's own
# (``@pytest.mark.urls(__name__)``): their app namespace is still ``two_factor``.
urlpatterns = [
    path("security/", include((tf_urls[0], "two_factor"), namespace="security")),
    path("", include("tests.urls")),
]


@pytest.mark.urls(__name__)
def test_the_pages_to_comply_are_exempt_under_another_instance_namespace(
        superusers_enforced, client, superuser):
    login_password_only(client, superuser)
    setup = reverse("security:setup")
    assert setup.startswith("/security/")
    assert client.get(setup).status_code == 200


def test_the_admin_logout_is_exempt(superusers_enforced, client, superuser):
    login_password_only(client, superuser)
    assert client.post("/admin/logout/").status_code == 200
    assert client.get(PAGE).status_code == 200  # signed out: anonymous now


def test_webauthn_options_for_setup_are_exempt(superusers_enforced, client, superuser):
    login_password_only(client, superuser)
    response = client.post(reverse("two_factor:webauthn_register_options"),
                           HTTP_ACCEPT="application/json")
    assert response.status_code == 200


@pytest.mark.parametrize("exempt", [["otp-login"], [r"^/otp/user"], ["two_factor:profile", "otp-login"]])
def test_exempt_urls_setting(superusers_enforced, client, superuser, exempt):
    superusers_enforced.TWO_FACTOR_ENFORCE_EXEMPT_URLS = exempt
    login_password_only(client, superuser)
    target = "/otp/login/" if "otp-login" in exempt else PAGE
    assert client.get(target).status_code == 200
    assert redirect_target(client.get(STATUS))[0] == SETUP


def test_an_exempt_entry_that_is_no_regex_is_a_name_only(superusers_enforced, client, superuser):
    superusers_enforced.TWO_FACTOR_ENFORCE_EXEMPT_URLS = ["(unbalanced", "otp-login"]
    login_password_only(client, superuser)
    assert client.get("/otp/login/").status_code == 200
    assert client.get(PAGE).status_code == 302


@pytest.mark.parametrize("exempt", [r"^/healthz/$", [""], ["^", "otp-login"], [".*"], ["/"]])
def test_an_exempt_setting_that_matches_every_path_does_not_turn_the_policy_off(
        superusers_enforced, client, superuser, exempt, caplog):
    superusers_enforced.TWO_FACTOR_ENFORCE_EXEMPT_URLS = exempt
    login_password_only(client, superuser)
    assert redirect_target(client.get(PAGE))[0] == SETUP
    if isinstance(exempt, list) and "otp-login" in exempt:
        assert client.get("/otp/login/").status_code == 200  # the names still count
    if exempt != r"^/healthz/$":  # a single string is one entry, which matches one page
        assert "would exempt every page; ignored" in caplog.text
        assert [m.id for m in checks.check_enforcement_exempt_urls()] == ["two_factor.E007"]
    else:
        assert checks.check_enforcement_exempt_urls() == []


@pytest.mark.parametrize("entry", [r"^/$", r"/$", r"^/?$"])
def test_an_exemption_of_the_home_page_alone_is_kept(settings, entry):
    settings.TWO_FACTOR_ENFORCE_EXEMPT_URLS = [entry]
    assert checks.check_enforcement_exempt_urls() == []
    _names, patterns = enforce._exempt_setting(enforce.exempt_entries())
    assert [pattern.pattern for pattern in patterns] == [entry]


@pytest.mark.parametrize("entry", [r"^/.", r"^/[a-z0-9/-]*$"])
def test_an_exemption_that_misses_a_path_of_some_page_is_kept(settings, entry):
    # "^/." misses the home page, the other one a path with a dot or a character past ASCII:
    # neither matches every path, so neither is an E007 mistake.
    settings.TWO_FACTOR_ENFORCE_EXEMPT_URLS = [entry]
    assert checks.check_enforcement_exempt_urls() == []
    _names, patterns = enforce._exempt_setting(enforce.exempt_entries())
    assert [pattern.pattern for pattern in patterns] == [entry]


def test_no_exempt_urls_at_all(superusers_enforced, client, superuser):
    superusers_enforced.TWO_FACTOR_ENFORCE_EXEMPT_URLS = None
    login_password_only(client, superuser)
    assert redirect_target(client.get(PAGE))[0] == SETUP
    assert checks.check_enforcement_exempt_urls() == []


def test_an_exempt_entry_that_is_a_lazy_url_is_no_error(superusers_enforced, client, superuser):
    # reverse_lazy() is not a str: no regex, no URL name; it exempts nothing and breaks nothing.
    superusers_enforced.TWO_FACTOR_ENFORCE_EXEMPT_URLS = [reverse_lazy("two_factor:profile"), "otp-login"]
    assert checks.check_enforcement_exempt_urls() == []
    login_password_only(client, superuser)
    assert client.get("/otp/login/").status_code == 200
    assert redirect_target(client.get(PAGE))[0] == SETUP


def test_an_exempt_regex_matches_at_the_start_of_the_path_after_the_script_name(
        superusers_enforced, client, superuser):
    superusers_enforced.TWO_FACTOR_ENFORCE_EXEMPT_URLS = [r"username/"]  # no "^": from the start still
    login_password_only(client, superuser)
    assert redirect_target(client.get(PAGE))[0] == SETUP
    superusers_enforced.TWO_FACTOR_ENFORCE_EXEMPT_URLS = [r"^/otp/username/"]
    assert client.get(PAGE, SCRIPT_NAME="/mounted").status_code == 200


def test_an_exempt_entry_that_is_no_regex_is_not_an_e007(settings):
    settings.TWO_FACTOR_ENFORCE_EXEMPT_URLS = ["(unbalanced", "otp-login"]
    assert checks.check_enforcement_exempt_urls() == []


def test_static_and_media_urls_are_exempt(superusers_enforced, client, superuser):
    superusers_enforced.STATIC_URL = "/otp/"
    login_password_only(client, superuser)
    assert client.get(PAGE).status_code == 200
    superusers_enforced.STATIC_URL = "/static/"
    superusers_enforced.MEDIA_URL = "/otp/user"
    assert client.get(PAGE).status_code == 200
    superusers_enforced.MEDIA_URL = "/media/"
    assert client.get(PAGE).status_code == 302


def test_a_script_prefix_does_not_make_a_page_look_static(superusers_enforced, client, superuser):
    """A deployment may let the client choose the script prefix (a proxy trusting an
    X-Script-Name header): with ``/static``, a page's path begins with STATIC_URL, but Django
    routes ``path_info``, the page."""
    superusers_enforced.STATIC_URL = "/static/"
    login_password_only(client, superuser)
    assert client.get(PAGE, SCRIPT_NAME="/static").status_code == 302
    assert client.get(PAGE, SCRIPT_NAME="/stat").status_code == 302
    # A site mounted below a prefix, with its static files there too: still exempt.
    superusers_enforced.STATIC_URL = "/app/otp/"
    assert client.get(PAGE, SCRIPT_NAME="/app").status_code == 200


def test_without_the_settings_nobody_is_covered(enforced, client, superuser):
    login_password_only(client, superuser)
    assert client.get(PAGE).status_code == 200


# The grace period


def test_grace_period_warns_once_then_redirects(superusers_enforced, client, superuser, monkeypatch):
    superusers_enforced.TWO_FACTOR_ENFORCE_GRACE_PERIOD = GRACE
    login_password_only(client, superuser)

    first = client.get(PAGE)
    assert first.status_code == 200
    [message] = list(get_messages(first.wsgi_request))
    assert "set it up before" in str(message)
    end = timezone.localtime(superuser.date_joined + timedelta(seconds=GRACE))
    assert str(end.year) in str(message)

    second = client.get(PAGE)  # the first message is still unread, no second one is added
    assert second.status_code == 200
    assert [str(m) for m in get_messages(second.wsgi_request)] == [str(message)]

    # The package's pages show it (on a site whose own pages may not).
    profile = client.get(reverse("two_factor:profile")).content.decode()
    assert 'class="messages"' in profile and "set it up before" in profile
    assert list(get_messages(client.get(PAGE).wsgi_request)) == []  # read once, then gone

    later = superuser.date_joined + timedelta(seconds=GRACE + 1)
    monkeypatch.setattr(policy, "now", lambda: later)
    assert redirect_target(client.get(PAGE)) == (SETUP, [PAGE])


@pytest.mark.parametrize("by_group", [False, True])
def test_grace_period_costs_no_query_once_warned(superusers_enforced, client, superuser,
                                                 django_assert_num_queries, by_group):
    """After the warning, a page in the grace period asks nothing more of the database: not
    even the groups query, when a group is what covers the user."""
    if by_group:
        superusers_enforced.TWO_FACTOR_ENFORCE_SUPERUSERS = False
        superusers_enforced.TWO_FACTOR_ENFORCE_GROUPS = ["admins"]
        superuser.groups.add(Group.objects.create(name="admins"))
    TOTPDevice.objects.create(user=superuser, name="default")
    login_password_only(client, superuser)
    superusers_enforced.TWO_FACTOR_ENFORCE_GRACE_PERIOD = GRACE
    warned = client.get(PAGE)
    assert "From " in str(next(iter(get_messages(warned.wsgi_request))))  # the warning is shown
    superusers_enforced.MIDDLEWARE = django_settings.MIDDLEWARE
    without = count_queries(same_browser(client), PAGE)
    superusers_enforced.MIDDLEWARE = [*django_settings.MIDDLEWARE, ENFORCE]
    with django_assert_num_queries(without):
        assert same_browser(client).get(PAGE).status_code == 200


def test_grace_ended_by_date_joined(superusers_enforced, client, superuser):
    superusers_enforced.TWO_FACTOR_ENFORCE_GRACE_PERIOD = GRACE
    superuser.date_joined = timezone.now() - timedelta(seconds=GRACE + 60)
    superuser.save()
    login_password_only(client, superuser)
    assert redirect_target(client.get(PAGE))[0] == SETUP


def test_in_grace_period(settings, user, monkeypatch):
    assert not policy.in_grace_period(user)  # no grace period set
    settings.TWO_FACTOR_ENFORCE_GRACE_PERIOD = 60
    assert policy.in_grace_period(user)
    monkeypatch.setattr(policy, "now", lambda: user.date_joined + timedelta(seconds=61))
    assert not policy.in_grace_period(user)


def test_grace_for_a_user_with_a_device_says_so(superusers_enforced, client, superuser):
    superusers_enforced.TWO_FACTOR_ENFORCE_GRACE_PERIOD = GRACE
    TOTPDevice.objects.create(user=superuser, name="default")
    login_password_only(client, superuser)
    [message] = list(get_messages(client.get(PAGE).wsgi_request))
    assert "asked for a token of your device" in str(message)


# Query cost


def same_browser(client):
    """A new client (a test client loads MIDDLEWARE once) with the cookies of ``client``."""
    other = Client()
    other.cookies = client.cookies
    return other


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("superuser_flag", [True, False])
def test_no_query_added_for_a_verified_user(settings, client, make_user, superuser_flag,
                                            django_assert_num_queries):
    """Covered by a flag, or by a group (whose query a verified session never needs)."""
    covered = make_user("covered", is_superuser=superuser_flag)
    covered.groups.add(Group.objects.create(name="admins"))
    device = TOTPDevice.objects.create(user=covered, name="default")
    login_verified(client, covered, device)
    without = count_queries(client, STATUS)
    settings.MIDDLEWARE = [*django_settings.MIDDLEWARE, ENFORCE]
    settings.TWO_FACTOR_ENFORCE_SUPERUSERS = True
    settings.TWO_FACTOR_ENFORCE_GROUPS = ["admins"]
    with django_assert_num_queries(without):
        assert same_browser(client).get(STATUS).status_code == 200


@pytest.mark.parametrize("verified", [False, True])
def test_no_query_for_staff_not_covered(settings, client, make_user, verified,
                                        django_assert_num_queries):
    staff = make_user("staff", is_staff=True)
    device = TOTPDevice.objects.create(user=staff, name="default")
    if verified:
        login_verified(client, staff, device)
    else:
        login_password_only(client, staff)
    without = count_queries(client, PAGE)
    settings.MIDDLEWARE = [*django_settings.MIDDLEWARE, ENFORCE]
    settings.TWO_FACTOR_ENFORCE_SUPERUSERS = True
    with django_assert_num_queries(without):
        assert same_browser(client).get(PAGE).status_code == 200


# ASGI


def test_async_requests(superusers_enforced, client, superuser):
    async_client = AsyncClient()
    login_password_only(client, superuser)
    async_client.cookies = client.cookies
    response = async_to_sync(async_client.get)("/otp/async-status/")
    assert redirect_target(response) == (SETUP, ["/otp/async-status/"])

    device = TOTPDevice.objects.create(user=superuser, name="default")
    login_verified(client, superuser, device)
    async_client.cookies = client.cookies
    response = async_to_sync(async_client.get)("/otp/async-status/")
    assert response.status_code == 200 and response.json()["verified"] is True


def test_async_requests_not_covered_decide_in_the_event_loop(settings, client, superuser, monkeypatch):
    """No policy set, or an exempt page: no thread for the sync code (an ASGI site's cost)."""
    def no_thread(function):
        raise AssertionError(f"{function} ran in a thread")

    async def view(request):
        return HttpResponse("ok")

    middleware = enforce.RequireTwoFactorMiddleware(view)
    assert iscoroutinefunction(middleware.process_view)
    monkeypatch.setattr(enforce, "sync_to_async", no_thread)
    request = RequestFactory().get("/")
    assert async_to_sync(middleware.process_view)(request, view, (), {}) is None
    settings.TWO_FACTOR_ENFORCE_SUPERUSERS = True
    request = RequestFactory().get(reverse("two_factor:login"))
    request.resolver_match = resolve(reverse("two_factor:login"))
    assert async_to_sync(middleware.process_view)(request, view, (), {}) is None


# System checks


def ids(messages):
    return [message.id for message in messages]


AUTH = "django.contrib.auth.middleware.AuthenticationMiddleware"
OTP = "django_otp.middleware.OTPMiddleware"
SESSIONS = "django.contrib.sessions.middleware.SessionMiddleware"


@pytest.mark.parametrize("middleware, expected", [
    ([SESSIONS, AUTH, OTP, ENFORCE], []),
    ([SESSIONS, AUTH, OTP], []),
    ([SESSIONS, AUTH, ENFORCE, OTP], ["two_factor.E004"]),
    ([SESSIONS, ENFORCE, AUTH, OTP], ["two_factor.E004"]),
    ([SESSIONS, AUTH, ENFORCE], ["two_factor.E004"]),
])
def test_e004_middleware_order(settings, middleware, expected):
    settings.MIDDLEWARE = middleware
    messages = checks.check_enforcement_middleware_order()
    assert ids(messages) == expected
    assert all(message.hint for message in messages)


def test_w004_settings_without_the_middleware(settings):
    assert checks.check_enforcement_middleware_installed() == []
    settings.TWO_FACTOR_ENFORCE_STAFF = True
    assert ids(checks.check_enforcement_middleware_installed()) == ["two_factor.W004"]
    settings.MIDDLEWARE = [*django_settings.MIDDLEWARE, ENFORCE]
    assert checks.check_enforcement_middleware_installed() == []


@pytest.mark.parametrize("value, expected", [
    (None, []),
    (carol_needs_two_factor, []),
    ("tests.two_factor.test_enforcement.carol_needs_two_factor", []),
    ("tests.two_factor.test_enforcement.missing", ["two_factor.E005"]),
    ("no_such_module.function", ["two_factor.E005"]),
    ("tests.two_factor.test_enforcement.GRACE", ["two_factor.E005"]),  # not callable
    (42, ["two_factor.E005"]),
])
def test_e005_callable(settings, value, expected):
    settings.TWO_FACTOR_ENFORCE_CALLABLE = value
    assert ids(checks.check_enforcement_callable()) == expected


@pytest.mark.parametrize("value, expected", [
    (None, []), (300, []), (0.5, []), (0, ["two_factor.E006"]), (-1, ["two_factor.E006"]),
    ("300", ["two_factor.E006"]), (True, ["two_factor.E006"]),
])
def test_e006_durations(settings, value, expected):
    settings.TWO_FACTOR_REAUTHENTICATION_AGE = value
    settings.TWO_FACTOR_ENFORCE_GRACE_PERIOD = value
    assert ids(checks.check_security_durations()) == expected * 2


def test_the_checks_are_registered():
    from django.core import checks as django_checks

    registered = django_checks.registry.registry.get_checks()
    for check in (checks.check_enforcement_middleware_order,
                  checks.check_enforcement_middleware_installed,
                  checks.check_enforcement_callable, checks.check_security_durations):
        assert check in registered


def test_always_exempt_names_exist():
    """Each name in ALWAYS_EXEMPT resolves in the test project (where every plugin is on)."""
    for name in enforce.ALWAYS_EXEMPT - {"logout"}:
        assert reverse(name)


def test_after_the_setup_it_asked_for_the_user_is_led_back(enforced, client, make_user):
    enforced.TWO_FACTOR_ENFORCE_STAFF = True
    client.force_login(make_user("staff", is_staff=True))
    setup_url = client.get(PAGE + "?a=1").url
    assert client.get(setup_url).status_code == 200
    key = to_generator(client)
    assert post_step(client, "generator", {"token": totp_token(key)}).url == COMPLETE
    assert f'href="{PAGE}?a=1"' in client.get(COMPLETE).content.decode()
    assert client.get(PAGE + "?a=1").status_code == 200
