"""What a log line is about: the case number (办件编号), the web request id and the Celery
task id, in context variables that any part may set and read.

This module is the context only, so that every part can mark its work with it
(``with bind_case(case.number): ...``). How the variables get set for a request and a
task, and how they are written into every log line (JSON or text), is operations' work:
onething/operations/middleware.py (``RequestContextMiddleware``) and
onething/operations/logging.py (the Celery signals, ``ContextFilter``, ``JsonFormatter``).
"""

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

case_number_var: contextvars.ContextVar[str] = contextvars.ContextVar("case_number", default="")
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
task_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("task_id", default="")
task_name_var: contextvars.ContextVar[str] = contextvars.ContextVar("task_name", default="")


def current_case_number() -> str:
    return case_number_var.get()


def set_case_number(number: str) -> contextvars.Token:
    """Mark what follows (in this request, task or thread) as work on this case."""
    return case_number_var.set(number or "")


@contextmanager
def bind_case(number: str) -> Iterator[None]:
    """``with bind_case(case.number): ...`` for code that works on a case outside a request
    or task that already names it (a loop over cases in a periodic job)."""
    token = case_number_var.set(number or "")
    try:
        yield
    finally:
        case_number_var.reset(token)
