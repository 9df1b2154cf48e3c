"""The test site's URLs with the Twilio TwiML view included the way the docs say (and the old
package's docs said)."""

from django.urls import include, path

from tests.urls import urlpatterns as site_urlpatterns
from two_factor.gateways.twilio.urls import urlpatterns as tf_twilio_urls

urlpatterns = [*site_urlpatterns, path("", include(tf_twilio_urls))]
