"""Small views behind ``OTPRequiredMixin``, one per attribute, for test_mixins.py."""

from django.http import HttpResponse
from django.urls import include, path
from django.views import View

from two_factor.urls import urlpatterns as tf_urls
from two_factor.views.mixins import OTPRequiredMixin, ReauthenticationRequiredMixin


class Protected(OTPRequiredMixin, View):
    def get(self, request):
        return HttpResponse("protected")


class RaiseAnonymous(Protected):
    raise_anonymous = True


class CustomLoginUrl(Protected):
    login_url = "/custom-login/"


class NamedLoginUrl(Protected):
    login_url = "custom-login"


class CustomField(Protected):
    redirect_field_name = "goto"


class RaiseUnverified(Protected):
    raise_unverified = True


class VerificationUrl(Protected):
    verification_url = "custom-verify"


class AsyncProtected(OTPRequiredMixin, View):
    async def get(self, request):
        return HttpResponse("protected")


class AsyncSensitive(OTPRequiredMixin, ReauthenticationRequiredMixin, View):
    async def get(self, request):
        return HttpResponse("sensitive")


class Overridden(Protected):
    def get_login_url(self):
        return "/from-get-login-url/"

    def get_verification_url(self):
        return "/from-get-verification-url/"


def placeholder(request):
    return HttpResponse("placeholder")


urlpatterns = [
    path("", include(tf_urls)),
    path("custom-login/", placeholder, name="custom-login"),
    path("custom-verify/", placeholder, name="custom-verify"),
    path("protected/", Protected.as_view()),
    path("raise-anonymous/", RaiseAnonymous.as_view()),
    path("custom-login-url/", CustomLoginUrl.as_view()),
    path("named-login-url/", NamedLoginUrl.as_view()),
    path("custom-field/", CustomField.as_view()),
    path("raise-unverified/", RaiseUnverified.as_view()),
    path("verification-url/", VerificationUrl.as_view()),
    path("overridden/", Overridden.as_view()),
    path("async-protected/", AsyncProtected.as_view()),
    path("async-sensitive/", AsyncSensitive.as_view()),
]
