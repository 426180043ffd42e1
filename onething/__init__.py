"""一件事 (One Thing) engine.

The Celery app is imported here so that ``shared_task`` and ``@app.task`` bind to it
whenever Django starts (web, worker or beat).
"""

from onething.celery import app as celery_app

__all__ = ["celery_app"]
