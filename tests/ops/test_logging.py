"""JSON logs with the case number, from a web request and across the broker into a worker."""

import io
import json
import logging

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from onething.common.logging import bind_case, case_number_var, request_id_var, task_id_var
from onething.operations.logging import (
    CASE_HEADER,
    ContextFilter,
    JsonFormatter,
    on_before_task_publish,
    on_task_postrun,
    on_task_prerun,
)


@pytest.fixture
def json_lines():
    """A handler configured as in production (settings.LOGGING with LOG_FORMAT=json) on the
    root logger; returns a function giving the lines written so far, parsed."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(previous)


def test_one_json_object_per_line_with_the_fields(json_lines):
    with bind_case("CASE-20261116-0001"):
        logging.getLogger("onething.test").warning("第 %s 次派发失败\nsecond line", 2, extra={"department": "police"})
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("onething.test").exception("failed")
    first, second = json_lines()
    assert first["message"] == "第 2 次派发失败\nsecond line"
    assert first["level"] == "WARNING"
    assert first["logger"] == "onething.test"
    assert first["case_number"] == "CASE-20261116-0001"
    assert first["department"] == "police"
    assert isinstance(first["process"], int)
    assert first["time"].endswith("+00:00")
    assert {"request_id", "task_id"} <= set(first)
    assert second["case_number"] == ""
    assert "ValueError: boom" in second["exception"]


def test_text_format_carries_the_case_number_too():
    from django.conf import settings

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", (), None)
    with bind_case("CASE-T"):
        ContextFilter().filter(record)
    text = logging.Formatter(settings.LOGGING["formatters"]["text"]["format"]).format(record)
    assert "[CASE-T] hello" in text


def test_web_request_sets_request_id_and_case_number(json_lines, settings):
    """The middleware as the handler drives it: process_view sees the URL's ``number``."""
    from onething.operations.middleware import RequestContextMiddleware, _clear_request_context

    settings.ACCESS_LOG = True

    def view(request):
        middleware.process_view(request, view, (), {"number": "CASE-WEB-1"})
        logging.getLogger("onething.apply").info("inside the view")
        return HttpResponse("ok")

    middleware = RequestContextMiddleware(view)
    request = RequestFactory().get("/my/cases/CASE-WEB-1/?id_number=310101199001011234")
    response = middleware(request)
    inside, access = json_lines()
    assert inside["case_number"] == "CASE-WEB-1"
    assert inside["request_id"] == response["X-Request-ID"] == request.request_id
    assert access["logger"] == "onething.access"
    assert access["case_number"] == "CASE-WEB-1"
    assert access["status"] == 200 and access["path"] == "/my/cases/CASE-WEB-1/"
    assert "310101199001011234" not in json.dumps(access)  # no query string in the access log
    _clear_request_context()  # what request_finished runs (the client test below goes through it)
    assert case_number_var.get() == "" and request_id_var.get() == ""  # nothing leaks to the next request


def test_request_id_from_the_proxy_is_kept_when_sane():
    from onething.operations.middleware import RequestContextMiddleware

    middleware = RequestContextMiddleware(lambda request: HttpResponse("ok"))
    kept = middleware(RequestFactory().get("/", HTTP_X_REQUEST_ID="abc123-proxy-id"))
    assert kept["X-Request-ID"] == "abc123-proxy-id"
    replaced = middleware(RequestFactory().get("/", HTTP_X_REQUEST_ID="<script>x</script>"))
    assert replaced["X-Request-ID"] != "<script>x</script>" and len(replaced["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_real_case_url_through_the_client(json_lines, client, settings):
    """A URL with a <str:number> argument, end to end through Django's handler."""
    from django.urls import reverse

    settings.ACCESS_LOG = True
    response = client.get(reverse("apply:case", kwargs={"number": "CASE-URL-9"}))
    access = [line for line in json_lines() if line["logger"] == "onething.access"]
    assert access and access[-1]["case_number"] == "CASE-URL-9"
    assert access[-1]["request_id"] == response["X-Request-ID"]
    assert case_number_var.get() == ""  # cleared when the request finished


@pytest.mark.django_db
def test_handler_error_lines_carry_the_request_id(json_lines, client, settings):
    """Django logs 4xx/5xx responses ("django.request") after the middleware chain returns."""
    settings.METRICS_TOKEN = "some-token"
    response = client.get("/metrics")
    assert response.status_code == 403
    line = next(line for line in json_lines() if line["logger"] == "django.request")
    assert line["request_id"] == response["X-Request-ID"]


def test_publish_copies_the_case_number_into_the_headers():
    headers = {"id": "t1", "task": "processing.dispatch_item_case"}
    on_before_task_publish(headers=headers)
    assert CASE_HEADER not in headers  # no case in context: nothing added
    with bind_case("CASE-PUB-1"):
        on_before_task_publish(headers=headers)
    assert headers[CASE_HEADER] == "CASE-PUB-1"


def test_header_travels_through_the_broker_to_a_worker(live_worker, json_lines):
    """Sent from a 'web request' (the case in context), run by a real worker thread (whose
    context starts empty): the task's log line carries the case number and the task id."""
    live_worker.seen.clear()
    with bind_case("CASE-BROKER-7"):
        result = live_worker.log_something.apply_async(args=["派发"])
    assert case_number_var.get() == ""
    assert result.get(timeout=10) == "CASE-BROKER-7"
    assert live_worker.seen[-1] == {"case_number": "CASE-BROKER-7", "task_id": result.id}
    line = next(line for line in json_lines() if line["logger"] == "onething.ops.test")
    assert line["case_number"] == "CASE-BROKER-7"
    assert line["task_id"] == result.id
    assert line["task_name"] == "ops.log_something"


def test_eager_task_keeps_the_request_case(ops_celery_app, json_lines):
    with bind_case("CASE-EAGER-2"):
        result = ops_celery_app.log_something.apply(args=["eager"])
        assert case_number_var.get() == "CASE-EAGER-2"  # restored after the task
    assert result.get() == "CASE-EAGER-2"
    assert task_id_var.get() == ""


@pytest.mark.django_db
def test_dispatch_without_header_looks_the_case_up(ops_cases):
    """The reconciliation (beat) sends dispatches with no case in context."""
    from onething.processing.tasks import dispatch_item_case

    item_case = ops_cases["second"].item_cases.first()

    class Request:
        pass

    class Task:
        name = dispatch_item_case.name
        request = Request()

    task = Task()
    on_task_prerun(task_id="tid-1", task=task, args=(item_case.pk,), kwargs={})
    assert case_number_var.get() == ops_cases["second"].number
    assert task_id_var.get() == "tid-1"
    on_task_postrun(task=task)
    assert case_number_var.get() == "" and task_id_var.get() == ""


def test_worker_uses_settings_logging_with_json():
    """With LOG_FORMAT=json the Celery worker does not install its own format (Celery skips
    its logging set-up when setup_logging has a receiver); with text it keeps its own."""
    from celery import signals

    from onething.operations.logging import connect_celery_signals

    assert not signals.setup_logging.has_listeners()  # the tests run with LOG_FORMAT=text
    try:
        connect_celery_signals(json_logs=True)
        assert signals.setup_logging.has_listeners()
    finally:
        signals.setup_logging.disconnect(dispatch_uid="onething-log-setup")


@pytest.mark.django_db
def test_a_dispatch_message_names_its_case(django_capture_on_commit_callbacks):
    """The worker then logs under the case without a query to find it."""
    from celery.signals import before_task_publish

    from onething.processing.services import enqueue_dispatch

    seen = []

    def capture(headers=None, **kwargs):
        seen.append(dict(headers or {}))

    before_task_publish.connect(capture)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            enqueue_dispatch(987654, case_number="CHILD-BIRTH-20261128-0001")
    finally:
        before_task_publish.disconnect(capture)
    assert seen and seen[-1][CASE_HEADER] == "CHILD-BIRTH-20261128-0001"
    assert case_number_var.get() == ""
