"""Structured logs that carry the case number from the web request to the worker.

Three context variables hold what a log line is about: the case number (办件编号), the
web request id and the Celery task id (onething/common/logging.py, where any part may set
them). They are set

- in the web process by ``RequestContextMiddleware`` (onething/operations/middleware.py):
  a request id for every request, the case number when the URL names a case
  (a ``number`` URL argument);
- in the worker by the Celery signals below: ``before_task_publish`` copies the current
  case number into the message headers, ``task_prerun`` restores it (and the task id)
  in the worker, ``task_postrun`` clears them. So a task sent while handling a case's
  request logs under that case number without a database query; for the dispatch task
  sent by the periodic reconciliation (no case in context), the case number is looked up
  from the item case id (one indexed query, only when the header is missing).

``ContextFilter`` copies the variables onto every log record, and ``JsonFormatter``
writes one JSON object per line. settings.LOGGING chooses the JSON or the plain
formatter from the environment variable LOG_FORMAT ("json" or "text").
"""

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from onething.common.logging import case_number_var, request_id_var, task_id_var, task_name_var

CASE_HEADER = "case_number"  # the Celery message header that carries the case number

# Attributes every LogRecord has; anything else passed with ``extra=`` goes into the JSON.
_STANDARD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
_CONTEXT_ATTRS = {"case_number", "request_id", "task_id", "task_name"}


class ContextFilter(logging.Filter):
    """Put the context variables on every record, so any formatter can use them."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.case_number = getattr(record, "case_number", "") or case_number_var.get()
        record.request_id = getattr(record, "request_id", "") or request_id_var.get()
        record.task_id = getattr(record, "task_id", "") or task_id_var.get()
        record.task_name = getattr(record, "task_name", "") or task_name_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, process, case_number,
    request_id, task_id (and task_name, exception, ``extra=`` fields when present)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
            "case_number": getattr(record, "case_number", "") or case_number_var.get(),
            "request_id": getattr(record, "request_id", "") or request_id_var.get(),
            "task_id": getattr(record, "task_id", "") or task_id_var.get(),
        }
        task_name = getattr(record, "task_name", "") or task_name_var.get()
        if task_name:
            entry["task_name"] = task_name
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and key not in _CONTEXT_ATTRS and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


# --- Celery: carry the case number in the message headers -----------------------------


def _case_of_item_case(args: tuple, kwargs: dict) -> str:
    from onething.processing.models import ItemCase

    item_case_id = kwargs.get("item_case_id", args[0] if args else None)
    if item_case_id is None:
        return ""
    return ItemCase.objects.filter(pk=item_case_id).values_list("case__number", flat=True).first() or ""


def _case_of_receipt(args: tuple, kwargs: dict) -> str:
    from onething.processing.models import CallbackReceipt

    receipt_id = kwargs.get("receipt_id", args[0] if args else None)
    if receipt_id is None:
        return ""
    found = CallbackReceipt.objects.filter(pk=receipt_id).values_list("item_case__case__number", flat=True).first()
    return found or ""


# Tasks sent without a case in context (by beat or the reconciliation) whose argument
# leads to the case: looked up only when the header is missing.
CASE_RESOLVERS: dict[str, Callable[[tuple, dict], str]] = {
    "processing.dispatch_item_case": _case_of_item_case,
    "processing.apply_callback": _case_of_receipt,
}


def on_before_task_publish(headers: dict | None = None, **_: Any) -> None:
    """Copy the current case number into the outgoing message (protocol 2 headers)."""
    number = case_number_var.get()
    if headers is not None and number and not headers.get(CASE_HEADER):
        headers[CASE_HEADER] = number


def on_task_prerun(task_id: str | None = None, task: Any = None, args: Any = None, kwargs: Any = None, **_: Any):
    """Restore the case number from the headers (or resolve it) and set the task id."""
    request = getattr(task, "request", None)
    # the header; else what is already current (an eager task inside a request); else look up
    number = getattr(request, CASE_HEADER, None) or case_number_var.get()
    if not number and task is not None and task.name in CASE_RESOLVERS:
        try:
            number = CASE_RESOLVERS[task.name](tuple(args or ()), dict(kwargs or {}))
        except Exception:  # never fail a task because its log context could not be found
            logging.getLogger(__name__).debug("case number lookup failed for %s", task.name, exc_info=True)
            number = ""
    tokens = (
        case_number_var.set(number),
        task_id_var.set(task_id or ""),
        task_name_var.set(getattr(task, "name", "") or ""),
    )
    if request is not None:
        request._onething_log_tokens = tokens


def on_task_postrun(task: Any = None, **_: Any) -> None:
    """Put the context back as it was before the task (eager tasks run inside a request)."""
    request = getattr(task, "request", None)
    tokens = getattr(request, "_onething_log_tokens", None)
    if not tokens:
        return
    request._onething_log_tokens = None
    for var, token in zip((case_number_var, task_id_var, task_name_var), tokens, strict=True):
        try:
            var.reset(token)
        except ValueError:  # set in another context (should not happen): just clear
            var.set("")


def on_setup_logging(**_: Any) -> None:
    """Let the worker and beat use settings.LOGGING (JSON) instead of Celery's own format."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


def connect_celery_signals(*, json_logs: bool) -> None:
    """Called once from onething/celery.py. With JSON logs the worker keeps settings.LOGGING
    (Celery skips its own logging set-up when setup_logging has a receiver)."""
    from celery import signals

    signals.before_task_publish.connect(on_before_task_publish, weak=False, dispatch_uid="onething-log-publish")
    signals.task_prerun.connect(on_task_prerun, weak=False, dispatch_uid="onething-log-prerun")
    signals.task_postrun.connect(on_task_postrun, weak=False, dispatch_uid="onething-log-postrun")
    if json_logs:
        signals.setup_logging.connect(on_setup_logging, weak=False, dispatch_uid="onething-log-setup")
