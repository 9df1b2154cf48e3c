"""The TwiML view of the Twilio call gateway.

Include it in the site's URLs (any prefix works; Twilio is given the absolute URL)::

    path("", include("two_factor.gateways.twilio.urls")),

or ``path("", include(two_factor.gateways.twilio.urls))`` with the module imported. The view is
``two_factor_twilio:call_app``.
"""

from django.urls import path

from .views import TwilioCallApp

app_name = "two_factor_twilio"

urlpatterns = [
    path("twilio/inbound/two_factor/<str:token>/", TwilioCallApp.as_view(), name="call_app"),
]
