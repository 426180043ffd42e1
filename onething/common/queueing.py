"""Celery tasks by their names, so that a service never imports its own app's tasks module.

Tasks import services (``tasks.py``: ids in, a service call); a service that enqueues work
asks for the task by its registered name instead of importing it back, which would close a
circle services ⇄ tasks. The name is the one ``@shared_task(name=...)`` gives and the one
``settings.CELERY_TASK_ROUTES`` routes by, so queues and routing are as before; the task
object is the registered one, so a test that patches ``collect_licence.delay_on_commit``
(the task object) still intercepts what the service sends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from celery import current_app
from django.utils.module_loading import autodiscover_modules

if TYPE_CHECKING:  # pragma: no cover
    from celery import Task


def task_named(name: str) -> Task:
    """The registered task called ``name``. The tasks modules of the installed apps are
    imported on the first miss (Celery's autodiscovery does it only in the worker); a name
    no app registers raises LookupError."""
    if name not in current_app.tasks:
        autodiscover_modules("tasks")  # every installed app's tasks module, as the worker imports them
    try:
        return current_app.tasks[name]
    except KeyError:
        raise LookupError(f"no Celery task is registered as {name!r}") from None


def send_on_commit(name: str, *args) -> None:
    """``task.delay(*args)`` once the current transaction commits (``delay_on_commit``):
    never for work that is rolled back. Outside a transaction it is sent at once."""
    task_named(name).delay_on_commit(*args)
