"""The helpers of ``django_otp.test_utils`` that plugin suites written for django-otp use."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections

from django_otp import test_utils
from django_otp import tests as legacy


class UserModelAttributes(test_utils.TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = cls.User._default_manager.create_user(
            **{cls.USERNAME_FIELD: "carol"}, password="pw")

    def test_user_model_and_username_field(self):
        self.assertIs(self.User, get_user_model())
        self.assertEqual(self.USERNAME_FIELD, "username")

    def test_available_in_set_up_test_data(self):
        self.assertEqual(self.user.get_username(), "carol")


class UserModelAttributesInTransactionTestCase(test_utils.TransactionTestCase):
    def test_user_model_and_username_field(self):
        self.assertIs(self.User, get_user_model())
        self.assertEqual(self.USERNAME_FIELD, "username")


def test_test_thread_is_exported():
    assert "TestThread" in test_utils.__all__
    assert legacy.TestThread is test_utils.TestThread


def test_test_thread_closes_connections_after_its_target(monkeypatch):
    events = []
    monkeypatch.setattr(connections, "close_all", lambda: events.append("closed"))
    thread = test_utils.TestThread(target=events.append, args=("target",))
    thread.start()
    thread.join(10)
    assert events == ["target", "closed"]


def test_test_thread_closes_connections_when_its_target_fails(monkeypatch):
    events = []
    monkeypatch.setattr(connections, "close_all", lambda: events.append("closed"))
    monkeypatch.setattr("threading.excepthook", lambda args: events.append(args.exc_type))
    thread = test_utils.TestThread(target=lambda: 1 / 0)
    thread.start()
    thread.join(10)
    assert events == ["closed", ZeroDivisionError]


@pytest.mark.postgres
def test_test_thread_leaves_no_open_connection(db):
    used = []

    def query():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        used.append(connections["default"])  # this thread's own connection

    thread = test_utils.TestThread(target=query)
    thread.start()
    thread.join(10)
    [thread_connection] = used
    assert thread_connection is not connections["default"]
    assert thread_connection.connection is None
