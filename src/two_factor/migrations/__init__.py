"""two_factor has no models of its own, so no migrations; this package is deliberately empty.

It exists so that ``migrate two_factor`` and ``showmigrations two_factor`` work as they did with
the old package. Databases that the old package migrated carry rows for two_factor migrations
``0001_initial`` to ``0008_delete_phonedevice`` in ``django_migrations``; Django ignores rows of
migrations it does not know, so they do no harm. Should two_factor ever get a model, its first
migration must not reuse one of those names (an old database would count it as applied and never
create the table): start at ``0009_`` (tests/two_factor/test_compat.py checks this).
"""
