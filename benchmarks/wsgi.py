"""The WSGI application of the load scenario (``gunicorn wsgi:application`` from benchmarks/).

The settings are ``worker.py``'s, on the PostgreSQL database named by ``BENCH_DBNAME``.
"""

import os

import worker

worker.configure(worker.postgres_db(os.environ["BENCH_DBNAME"]))

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
