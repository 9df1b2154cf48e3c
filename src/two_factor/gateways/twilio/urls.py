"""The TwiML view of the Twilio call gateway, ``two_factor_twilio:call_app``.

Include it in the site's URLs as the ``two_factor`` URLs are (any prefix works; Twilio is given
the absolute URL)::

    from two_factor.gateways.twilio.urls import urlpatterns as tf_twilio_urls

    urlpatterns = [
        ...,
        path("", include(tf_twilio_urls)),
    ]

``urlpatterns`` is a ``(patterns, "two_factor_twilio")`` pair, so that this include gives the
``two_factor_twilio`` namespace; ``include("two_factor.gateways.twilio.urls")`` (the module by
name) does not work with it.
"""

from django.urls import path

from .views import TwilioCallApp

app_name = "two_factor_twilio"

urlpatterns = (
    [path("twilio/inbound/two_factor/<str:token>/", TwilioCallApp.as_view(), name="call_app")],
    app_name,
)
