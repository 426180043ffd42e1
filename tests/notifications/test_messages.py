"""站内信: every notification to an account is also an in-site message, written with it; the
message centre lists one's own messages only, opening one marks it read, "mark all read";
the header's unread count costs one query; the API does the same for one's own messages."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from onething.notifications import selectors, services
from onething.notifications.context_processors import unread_messages
from onething.notifications.models import Message, Notification

pytestmark = pytest.mark.django_db

CASE_NUMBER = "CHILD-BIRTH-20261116-0001"


def _notify(recipient, key="case-accepted:1", subject="办件已受理", **extra):
    return services.notify(
        recipient=recipient,
        subject=subject,
        body=f"您的办件 {CASE_NUMBER} 已受理，承诺于 2026-12-01 前办结。",
        dedup_key=key,
        case_number=CASE_NUMBER,
        **extra,
    )


@pytest.fixture
def citizen(make_user):
    from onething.accounts.models import User

    user = make_user("citizen-msg", mobile="13916880001", email="a@example.com")
    User.objects.filter(pk=user.pk).update(role="citizen")
    user.refresh_from_db()
    return user


@pytest.fixture
def other(make_user):
    return make_user("citizen-other", mobile="13916880009")


def test_every_notification_is_also_a_message_written_with_it(citizen):
    rows = _notify(citizen)
    assert {n.channel for n in rows} == {"sms", "email"}
    message = Message.objects.get(recipient=citizen)
    assert (message.subject, message.case_number, message.read_at) == ("办件已受理", CASE_NUMBER, None)
    assert message.body == rows[0].body and message.dedup_key == "case-accepted:1"  # one per event, not per channel
    _notify(citizen)  # the same event again: nothing new
    assert Message.objects.filter(recipient=citizen).count() == 1


def test_a_message_even_without_any_address_but_none_without_an_account(make_user):
    unreachable = make_user("no-address")
    assert _notify(unreachable) == []  # no SMS, no e-mail ...
    assert Message.objects.filter(recipient=unreachable).count() == 1  # ... but the message centre has it
    services.notify(recipient=None, subject="验证码", body="123456", dedup_key="signup:1", addresses={"sms": "139"})
    assert not Message.objects.filter(dedup_key="signup:1").exists()  # a sign-up code to a bare number


def test_the_message_rolls_back_with_the_callers_transaction(citizen):
    with pytest.raises(RuntimeError), transaction.atomic():
        _notify(citizen)
        raise RuntimeError("the caller's work failed")
    assert not Message.objects.exists() and not Notification.objects.exists()


def test_one_event_to_several_people_gives_each_their_message(citizen, other):
    _notify(citizen, key="time-overdue:7")
    _notify(other, key="time-overdue:7")
    assert Message.objects.filter(dedup_key="time-overdue:7").count() == 2


def test_the_centre_lists_ones_own_newest_first_and_marks_unread(client, citizen, other):
    _notify(citizen, key="case-accepted:1", subject="办件已受理")
    _notify(citizen, key="supplement:2", subject="部门要求补正")
    _notify(other, key="case-refused:3", subject="不予受理")
    client.force_login(citizen)
    html = client.get(reverse("notifications:messages")).content.decode()
    assert html.index("部门要求补正") < html.index("办件已受理")  # newest first
    assert "不予受理" not in html  # another's
    assert html.count('class="message unread"') == 2
    assert f'href="{reverse("apply:case", kwargs={"number": CASE_NUMBER})}"' in html  # each links to its case
    assert 'id="unread-count">2<' in html  # the header


def test_opening_a_message_marks_it_read_once(client, citizen):
    _notify(citizen)
    message = Message.objects.get(recipient=citizen)
    client.force_login(citizen)
    response = client.get(reverse("notifications:message", kwargs={"pk": message.pk}))
    html = response.content.decode()
    assert response.status_code == 200 and "已受理，承诺于 2026-12-01 前办结" in html
    assert reverse("apply:case", kwargs={"number": CASE_NUMBER}) in html and 'id="unread-count"' not in html
    message.refresh_from_db()
    first = message.read_at
    assert first is not None and selectors.unread_count(user=citizen) == 0
    client.get(reverse("notifications:message", kwargs={"pk": message.pk}))
    message.refresh_from_db()
    assert message.read_at == first  # opened again: the first reading time stays


def test_another_users_message_is_404_and_stays_unread(client, citizen, other):
    _notify(other)
    theirs = Message.objects.get(recipient=other)
    client.force_login(citizen)
    assert client.get(reverse("notifications:message", kwargs={"pk": theirs.pk})).status_code == 404
    api = client.post(reverse("api-message-read", kwargs={"pk": theirs.pk}))
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_only_touches_ones_own(client, citizen, other):
    _notify(citizen, key="a:1")
    _notify(citizen, key="a:2")
    _notify(other, key="a:3")
    client.force_login(citizen)
    assert client.get(reverse("notifications:read-all")).status_code == 405  # a change: POST only
    response = client.post(reverse("notifications:read-all"))
    assert response.status_code == 302 and response["Location"] == reverse("notifications:messages")
    assert selectors.unread_count(user=citizen) == 0 and selectors.unread_count(user=other) == 1


def test_staff_who_are_notified_see_theirs_with_a_link_they_can_open(client, make_user):
    from onething.accounts.models import User

    officer = make_user("officer-msg", email="officer@example.gov.cn")
    User.objects.filter(pk=officer.pk).update(role="officer")
    _notify(officer, key="time-overdue:9", subject="办件已超期")
    client.force_login(User.objects.get(pk=officer.pk))
    html = client.get(reverse("notifications:messages")).content.decode()
    assert "办件已超期" in html
    assert reverse("apply:case", kwargs={"number": CASE_NUMBER}) not in html  # not the applicant's page
    assert f"{reverse('oversight:audit')}?case={CASE_NUMBER}" in html


def test_the_unread_count_costs_one_query_and_nothing_for_visitors(rf, citizen, django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    _notify(citizen, key="a:1")
    _notify(citizen, key="a:2")
    request = rf.get("/")
    request.user = AnonymousUser()
    with django_assert_num_queries(0):
        assert unread_messages(request)["unread_messages"] == 0
    request.user = citizen
    with django_assert_num_queries(0):
        count = unread_messages(request)["unread_messages"]  # lazy: nothing until shown
    with django_assert_num_queries(1):
        assert count == 2 and str(count) == "2" and bool(count)  # and once only


@pytest.mark.parametrize("messages", [0, 3, 30])
def test_every_page_pays_one_cheap_count_whatever_the_number_of_messages(client, citizen, messages):
    """The header on any page (here 我的申请 and the catalogue): one COUNT on the message table."""
    for n in range(messages):
        _notify(citizen, key=f"event:{n}")
    client.force_login(citizen)
    for url in (reverse("apply:my"), reverse("notice:catalogue")):
        with CaptureQueriesContext(connection) as queries:
            html = client.get(url).content.decode()
        on_messages = [q["sql"] for q in queries.captured_queries if "notifications_message" in q["sql"]]
        assert len(on_messages) == 1 and "COUNT(" in on_messages[0].upper(), on_messages
        assert ('id="unread-count"' in html) == bool(messages)


def test_the_api_lists_counts_and_marks_ones_own(client, citizen, other):
    _notify(citizen, key="a:1", subject="办件已受理")
    _notify(citizen, key="a:2", subject="部门要求补正")
    _notify(other, key="a:3", subject="不予受理")
    client.force_login(citizen)
    listed = client.get(reverse("api-messages")).json()
    assert [m["subject"] for m in listed] == ["部门要求补正", "办件已受理"]
    assert all(m["read"] is False and m["case_number"] == CASE_NUMBER for m in listed)
    assert client.get(reverse("api-messages-unread-count")).json() == {"unread": 2}
    read = client.post(reverse("api-message-read", kwargs={"pk": listed[0]["id"]})).json()
    assert read["read"] is True and read["read_at"]
    assert client.get(reverse("api-messages-unread-count")).json() == {"unread": 1}
    assert client.post(reverse("api-messages-read-all")).json() == {"marked": 1, "unread": 0}
    assert selectors.unread_count(user=other) == 1


def test_the_api_refuses_visitors(client):
    assert client.get(reverse("api-messages")).status_code == 403
    assert client.post(reverse("api-messages-read-all")).status_code == 403
