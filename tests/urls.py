from django.contrib import admin
from django.urls import path

from django_otp.admin import OTPAdminSite

otp_admin_site = OTPAdminSite()

urlpatterns = [
    path("admin/", admin.site.urls),
    path("otpadmin/", otp_admin_site.urls),
]


# Small views for the django_otp middleware, decorator and LoginView tests.

from django.http import HttpResponse, JsonResponse  # noqa: E402
from django.template import engines  # noqa: E402

from django_otp.decorators import otp_required  # noqa: E402
from django_otp.views import LoginView as OTPLoginView  # noqa: E402


def _otp_status(user):
    device = user.otp_device
    return JsonResponse({"authenticated": user.is_authenticated, "verified": user.is_verified(),
                         "device": device.persistent_id if device is not None else None})


def otp_status_view(request):
    return _otp_status(request.user)


async def otp_async_status_view(request):
    return _otp_status(await request.auser())


def otp_username_view(request):
    return HttpResponse(request.user.get_username())


def otp_protected_view(request):
    return HttpResponse("protected")


class OTPTestLoginView(OTPLoginView):
    template = engines["django"].from_string("{{ form.as_p }}")

    def get_template_names(self):
        return self.template


urlpatterns += [
    path("otp/status/", otp_status_view),
    path("otp/async-status/", otp_async_status_view),
    path("otp/username/", otp_username_view),
    path("otp/required/", otp_required(otp_protected_view)),
    path("otp/required-called/", otp_required()(otp_protected_view)),
    path("otp/required-if-configured/", otp_required(if_configured=True)(otp_protected_view)),
    path("otp/required-custom/",
         otp_required(otp_protected_view, login_url="/custom/", redirect_field_name="goto")),
    path("otp/login/", OTPTestLoginView.as_view(), name="otp-login"),
]


async def otp_async_protected_view(request):
    return HttpResponse("protected")


urlpatterns += [
    path("otp/async-required/", otp_required(otp_async_protected_view)),
]

# two_factor, as a site includes it.
from django.urls import include  # noqa: E402

from two_factor.urls import urlpatterns as tf_urls  # noqa: E402

urlpatterns += [path("", include(tf_urls))]
