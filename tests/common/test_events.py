"""The events between the stages (onething/common/events.py): publish and subscribe,
handlers inside the publisher's transaction, every handover taken over by some app."""

from dataclasses import dataclass
from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from onething.common import events
from onething.common.queueing import send_on_commit, task_named


@dataclass(frozen=True, kw_only=True)
class ThingHappened(events.Event):
    thing_id: int
    label: str = ""


@pytest.fixture
def handlers():
    """Subscribed handlers of ThingHappened, removed after the test."""
    subscribed = []

    def subscribe(handler):
        events.subscribe(ThingHappened, handler)
        subscribed.append(handler)

    yield subscribe
    for handler in subscribed:
        events.unsubscribe(ThingHappened, handler)


@pytest.mark.django_db
def test_publish_hands_the_event_to_each_subscriber_in_order_and_returns_their_answers(handlers):
    seen = []

    def first(event):
        seen.append(("first", event))
        return 1

    def second(event):
        seen.append(("second", event))
        return 2

    handlers(first)
    handlers(second)
    handlers(first)  # twice: once
    assert events.publish(ThingHappened, thing_id=7, label="x") == [1, 2]
    assert [name for name, _ in seen] == ["first", "second"]
    assert seen[0][1] == ThingHappened(thing_id=7, label="x") and seen[0][1].name == "thing_happened"
    assert events.publish(ThingHappened(thing_id=8)) == [1, 2]  # an instance does as well


@pytest.mark.django_db
def test_publish_refuses_what_is_not_an_event_and_unknown_fields(handlers):
    handlers(lambda event: None)
    with pytest.raises(TypeError):
        events.publish(ThingHappened, thing_id=1, colour="red")
    with pytest.raises(TypeError):
        events.publish(ThingHappened(thing_id=1), label="y")
    with pytest.raises(TypeError):
        events.subscribe(dict, print)


@pytest.mark.django_db
def test_an_event_nobody_subscribed_to_is_published_to_nobody():
    assert events.publish(ThingHappened, thing_id=1) == []  # not a handover: nobody needs to take it


@pytest.mark.django_db
def test_a_failing_handler_rolls_back_the_publishers_transaction(handlers):
    def handler(event):
        Group.objects.create(name=f"handled-{event.thing_id}")  # the handover's own write
        raise RuntimeError("the next stage cannot take it")

    handlers(handler)
    with pytest.raises(RuntimeError), transaction.atomic():
        Group.objects.create(name="published")  # the publisher's change
        events.publish(ThingHappened, thing_id=1)
    assert not Group.objects.exists()


@pytest.mark.django_db
def test_handlers_write_in_the_publishers_transaction(handlers, django_capture_on_commit_callbacks):
    handlers(lambda event: Group.objects.create(name=f"handled-{event.thing_id}"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        Group.objects.create(name="published")
        events.publish(ThingHappened, thing_id=2)
        assert set(Group.objects.values_list("name", flat=True)) == {"published", "handled-2"}
    assert callbacks == []  # nothing waits for the commit: the handover is already done


def test_every_handover_has_a_subscriber_in_the_app_that_takes_it_over():
    assert events.unhandled_handovers() == []
    for event in events.HANDOVERS:
        apps = {handler.__module__.split(".")[1] for handler in events.subscribers(event)}
        assert apps == {name.strip() for name in event.handled_by.split(",")}, event.name


def test_a_handover_nobody_takes_over_is_refused_and_reported(monkeypatch):
    monkeypatch.setattr(events, "_handlers", {})
    with pytest.raises(events.Unhandled):
        events.publish(events.CaseConcluded, case_id=1, all_approved=True)
    errors = events.unhandled_handovers()
    assert {error.id for error in errors} == {"onething.E010"}
    assert len(errors) == len(events.HANDOVERS)


# --- the handovers in the engine ------------------------------------------------------------


@pytest.mark.django_db
def test_an_acceptance_whose_split_fails_is_not_accepted(demo_bundles, datahub_settings, mother, monkeypatch):
    """Processing takes the case over in intake's transaction: when it fails, the case stays
    submitted, without material checks or item cases, as when intake called it directly."""
    from onething.cases.models import Case
    from onething.intake import services as intake
    from onething.processing import services as processing
    from onething.processing.models import ItemCase
    from tests.intake.test_acceptance import clerk, online_case

    case = online_case(mother)
    assert case.centre is not None  # routed by intake, which takes case_submitted over

    def broken(**kwargs):
        raise RuntimeError("split failed")

    monkeypatch.setattr(processing, "case_split", broken)
    with pytest.raises(RuntimeError):
        intake.case_accept(case=case, clerk=clerk(), today=date(2026, 11, 16))
    case.refresh_from_db()
    assert case.state == Case.State.SUBMITTED and not case.material_checks.exists()
    assert not ItemCase.objects.filter(case=case).exists()
    monkeypatch.undo()
    accepted = intake.case_accept(case=case, clerk=clerk(), today=date(2026, 11, 16))
    assert accepted.state == Case.State.PROCESSING and ItemCase.objects.filter(case=case).exists()


@pytest.mark.django_db
def test_upload_readers_are_registered_by_the_later_stages(demo_bundles, datahub_settings, mother):
    from onething.apply.uploads import can_read_upload, upload_create, upload_readers
    from onething.intake.selectors import clerk_reads_upload
    from onething.processing.selectors import officer_reads_upload
    from tests.intake.test_acceptance import PDF, clerk

    assert upload_readers() == (clerk_reads_upload, officer_reads_upload)
    upload = upload_create(owner=mother, file=SimpleUploadedFile("a.pdf", PDF))
    assert not can_read_upload(user=clerk(), upload=upload)  # no case of the clerk's centre uses it


def test_tasks_are_found_by_their_registered_names():
    from onething.issuance.tasks import collect_licence

    assert task_named("issuance.collect_licence") is collect_licence._get_current_object()
    with pytest.raises(LookupError):
        task_named("issuance.no_such_task")


@pytest.mark.django_db
def test_send_on_commit_sends_after_the_commit_only(monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    monkeypatch.setattr("onething.issuance.tasks.collect_licence.delay", sent.append)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        send_on_commit("issuance.collect_licence", 41)
        assert sent == []
    assert sent == [41]
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        send_on_commit("issuance.collect_licence", 42)
        raise RuntimeError("rolled back")
    assert sent == [41]
