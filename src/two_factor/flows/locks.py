"""The lock that puts one user's concurrent writes in a row: their user row, ``FOR UPDATE``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.auth import get_user_model
from django.db import router, transaction


@contextmanager
def user_locked(user: Any) -> Iterator[None]:
    """A transaction that holds ``user``'s row locked, for what must not happen twice at once.

    SQLite has no row locks (``select_for_update`` is ignored there): it serialises writes, not
    the read before them, so the guarantee is PostgreSQL's, MySQL's and Oracle's.
    """
    with transaction.atomic(using=router.db_for_write(get_user_model())):
        lock_user_row(user)
        yield


def lock_user_row(user: Any) -> None:
    """Lock ``user``'s row until the transaction in progress ends (call it inside one)."""
    model = get_user_model()
    list(model._default_manager.select_for_update().filter(pk=user.pk).values_list("pk"))
