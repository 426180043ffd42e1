"""WSGI entry point (gunicorn onething.wsgi).

gunicorn does not run Django's system checks: with DEBUG off the process refuses to start
here when a department endpoint holds a demo secret (onething/operations/checks.py); the
settings already refused a missing, short or demo SECRET_KEY, DATAHUB_KEY or encryption key.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onething.settings")
application = get_wsgi_application()

from onething.operations.checks import refuse_to_start  # noqa: E402  (needs the apps loaded)

refuse_to_start()
