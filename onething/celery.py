"""Celery application: the same tasks run on Redis in production and on kombu's
filesystem transport in the embedded default (see settings.CELERY_BROKER_URL)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onething.settings")

app = Celery("onething")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
