"""The test site's URLs with the Twilio TwiML view included the way the docs say."""

from django.urls import include, path

import two_factor.gateways.twilio.urls
from tests.urls import urlpatterns as site_urlpatterns

urlpatterns = [*site_urlpatterns, path("", include(two_factor.gateways.twilio.urls))]
