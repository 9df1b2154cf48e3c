"""Re-authenticating with a phone as default device: the page sends the token when asked, not
on every GET."""


import pytest
from django.urls import reverse

from tests.two_factor.conftest import age_session, login_verified

REAUTH = reverse("two_factor:reauthenticate")
DISABLE = reverse("two_factor:disable")


@pytest.fixture
def stale_phone_client(client, user, sms_device, gateways):
    gateways.TWO_FACTOR_REAUTHENTICATION_AGE = 300
    login_verified(client, user, sms_device)
    age_session(client, 301)
    return client


def test_reauthenticate_with_a_text_message(stale_phone_client, sms_device, sent):
    page = stale_phone_client.get(REAUTH, {"next": DISABLE})
    assert page.status_code == 200 and sent() == []  # a GET sends nothing
    assert 'name="challenge_device"' in page.content.decode()

    page = stale_phone_client.post(REAUTH, {"challenge_device": sms_device.persistent_id})
    assert page.status_code == 200 and page.context["device"] == sms_device
    [(_kind, _number, token)] = sent()

    done = stale_phone_client.post(REAUTH, {"device": sms_device.persistent_id, "otp_token": token,
                                            "next": DISABLE})
    assert done.status_code == 302 and done.url == DISABLE
    assert stale_phone_client.get(DISABLE).status_code == 200
