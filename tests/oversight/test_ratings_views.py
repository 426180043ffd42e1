"""好差评 and 整改 pages: the citizen's panel and posts, the staff pages, and who may see what."""

# ruff: noqa: F811 (the fixtures imported from ratings_support are parameters of the tests)

from datetime import timedelta

import pytest
from django.template import RequestContext, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from onething.oversight import ratings
from onething.oversight.models import Rating, Rectification
from tests.oversight.ratings_support import (  # noqa: F401 (fixtures)
    case,
    centre,
    other_centre,
    people,
    window_case,
)

pytestmark = pytest.mark.django_db
ROLES = ["citizen_a", "citizen_b", "officer_health", "officer_police", "clerk", "admin"]


def client_for(client, user):
    client.force_login(user)
    return client


def render_panel(case, user) -> str:
    request = RequestFactory().get("/")
    request.user = user
    template = Template("{% load oversight_ratings %}{% case_rating_panel case user %}")
    return template.render(RequestContext(request, {"case": case, "user": user}))


@pytest.fixture
def department_rectification(case, people) -> Rectification:
    rating = ratings.rating_submit(case=case, citizen=people["citizen_a"], target="department:health", level=2)
    return rating.rectifications.get()


@pytest.fixture
def window_rectification(window_case, people) -> Rectification:
    rating = ratings.rating_submit(case=window_case, citizen=people["citizen_a"], target="window", level=1)
    return rating.rectifications.get()


# --- the citizen's panel --------------------------------------------------------------------


def test_panel_has_one_form_per_target_with_stable_ids(window_case, people):
    html = render_panel(window_case, people["citizen_a"])
    for slug in ("case", "department-health", "department-police", "window"):
        assert f'id="rating-form-{slug}"' in html
        assert f'id="rating-{slug}-level-2"' in html and f'id="rating-{slug}-submit"' in html
        assert f'id="rating-{slug}-comment"' in html
    assert html.count('name="csrfmiddlewaretoken"') == 4
    assert "非常满意" in html and "非常不满意" in html
    assert reverse("oversight:rate", args=[window_case.number]) in html


def test_panel_is_empty_for_others_and_before_conclusion(case, people):
    for who in ROLES[1:]:
        assert render_panel(case, people[who]).strip() == ""
    case.state = "processing"
    case.save()
    assert render_panel(case, people["citizen_a"]).strip() == ""


def test_panel_shows_current_rating_edit_until_and_closes_after_the_period(case, people, settings):
    rating = ratings.rating_submit(case=case, citizen=people["citizen_a"], target="case", level=4, comment="好")
    html = render_panel(case, people["citizen_a"])
    assert 'id="rating-current-case"' in html and "满意" in html
    until = timezone.localtime(rating.edit_until).strftime("%Y-%m-%d %H:%M")
    assert f"可修改至 {until}" in html
    assert 'id="rating-case-level-4" name="level" value="4" required checked' in html
    Rating.objects.filter(pk=rating.pk).update(edit_until=timezone.now() - timedelta(seconds=1))
    html = render_panel(case, people["citizen_a"])
    assert 'id="rating-case-submit"' not in html and "修改期限已于" in html
    assert 'id="rating-department-health-submit"' in html  # the others are still open


def test_panel_shows_the_response_with_confirm_and_reject(department_rectification, case, people):
    rectification = department_rectification
    ratings.contact(rectification=rectification, by=people["officer_health"], note="已联系")
    ratings.respond(rectification=rectification, by=people["officer_health"], response="已批评教育经办人")
    html = render_panel(case, people["citizen_a"])
    assert 'data-party="department-health" data-state="responded"' in html
    assert "已批评教育经办人" in html
    assert f'id="rectification-{rectification.pk}-confirm"' in html
    assert f'id="rectification-{rectification.pk}-reason"' in html


# --- citizen posts ----------------------------------------------------------------------------


def test_rating_post_creates_then_updates_and_redirects_to_the_case(client, case, people):
    url = reverse("oversight:rate", args=[case.number])
    client_for(client, people["citizen_a"])
    response = client.post(url, {"target": "department:health", "level": "2", "comment": "等太久"})
    assert response.status_code == 302
    assert response["Location"] == reverse("apply:case", args=[case.number]) + "#ratings"
    rating = Rating.objects.get(case=case, department__code="health")
    assert (rating.level, rating.comment) == (2, "等太久")
    assert rating.rectifications.get().state == "open"
    client.post(url, {"target": "department:health", "level": "4", "comment": "已解决"})
    rating.refresh_from_db()
    assert rating.level == 4 and rating.rectifications.get().state == "withdrawn"
    assert Rating.objects.filter(case=case).count() == 1


def test_a_refused_rating_says_why(client, case, people):
    Rating.objects.create(
        case=case, target="case", level=5, rater=people["citizen_a"], edit_until=timezone.now() - timedelta(days=1)
    )
    client_for(client, people["citizen_a"])
    response = client.post(
        reverse("oversight:rate", args=[case.number]), {"target": "case", "level": "1"}, follow=False
    )
    assert response.status_code == 302
    stored = [str(m) for m in response.wsgi_request._messages]
    assert any("天内修改" in m for m in stored)
    assert Rating.objects.get(case=case, target="case").level == 5


@pytest.mark.parametrize("who", ["citizen_b", "officer_health", "clerk", "admin"])
def test_nobody_else_rates_a_case(client, case, people, who):
    response = client_for(client, people[who]).post(
        reverse("oversight:rate", args=[case.number]), {"target": "case", "level": "1"}
    )
    assert response.status_code == 404
    assert not Rating.objects.exists()


def test_anonymous_posts_go_to_login(client, case, department_rectification):
    for url in (
        reverse("oversight:rate", args=[case.number]),
        reverse("oversight:rectification-confirm", args=[department_rectification.pk]),
        reverse("oversight:rectification-contact", args=[department_rectification.pk]),
    ):
        response = client.post(url, {"target": "case", "level": "1"})
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_confirm_and_reject_posts(client, case, people, department_rectification):
    rectification = department_rectification
    ratings.contact(rectification=rectification, by=people["officer_health"], note="已联系")
    ratings.respond(rectification=rectification, by=people["officer_health"], response="答复一")
    reject = reverse("oversight:rectification-reject", args=[rectification.pk])
    confirm = reverse("oversight:rectification-confirm", args=[rectification.pk])
    for who in ("citizen_b", "officer_health", "admin"):
        client_for(client, people[who])
        assert client.post(confirm).status_code == 404
        assert client.post(reject, {"reason": "x"}).status_code == 404
    client_for(client, people["citizen_a"])
    response = client.post(reject, {"reason": "仍未解决"})
    assert response["Location"].endswith(reverse("apply:case", args=[case.number]) + "#ratings")
    rectification.refresh_from_db()
    assert (rectification.state, rectification.citizen_reason) == ("reopened", "仍未解决")
    ratings.respond(rectification=rectification, by=people["officer_health"], response="答复二")
    client.post(confirm)
    rectification.refresh_from_db()
    assert rectification.state == "confirmed"


# --- staff pages: the permissions matrix ----------------------------------------------------


LIST_EXPECTED = {  # role → (status, sees the health department's rectification)
    "citizen_a": (403, False),
    "citizen_b": (403, False),
    "officer_health": (200, True),
    "officer_police": (200, False),
    "clerk": (200, False),
    "admin": (200, True),
}


@pytest.mark.parametrize("who", ROLES)
def test_list_matrix(client, people, department_rectification, who):
    status, sees = LIST_EXPECTED[who]
    response = client_for(client, people[who]).get(reverse("oversight:rectifications"))
    assert response.status_code == status
    if status == 200:
        assert (f'data-rectification="{department_rectification.pk}"' in response.content.decode()) is sees


DETAIL_EXPECTED = {  # role → (detail status, may record the contact)
    "citizen_a": (403, False),
    "citizen_b": (403, False),
    "officer_health": (200, True),
    "officer_police": (404, False),
    "clerk": (404, False),
    "admin": (200, False),
}


@pytest.mark.parametrize("who", ROLES)
def test_detail_matrix(client, people, department_rectification, who):
    status, handles = DETAIL_EXPECTED[who]
    response = client_for(client, people[who]).get(
        reverse("oversight:rectification", args=[department_rectification.pk])
    )
    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert ('id="contact-note"' in html) is handles
        assert ("13916880001" in html) is handles  # the handler calls the citizen; others see it masked
        if not handles:
            assert "139****0001" in html


POST_EXPECTED = {"citizen_a": 403, "citizen_b": 403, "officer_police": 404, "clerk": 404, "admin": 403}


@pytest.mark.parametrize("who", sorted(POST_EXPECTED))
def test_contact_and_respond_matrix(client, people, department_rectification, who):
    client_for(client, people[who])
    for name, data in (
        ("oversight:rectification-contact", {"note": "x"}),
        ("oversight:rectification-respond", {"response": "x"}),
    ):
        response = client.post(reverse(name, args=[department_rectification.pk]), data)
        assert response.status_code == POST_EXPECTED[who]
    department_rectification.refresh_from_db()
    assert department_rectification.state == "open"


def test_officer_records_contact_and_response(client, people, department_rectification):
    pk = department_rectification.pk
    client_for(client, people["officer_health"])
    response = client.post(reverse("oversight:rectification-contact", args=[pk]), {"note": "已电话联系群众"})
    assert response.status_code == 302 and response["Location"] == reverse("oversight:rectification", args=[pk])
    page = client.get(reverse("oversight:rectification", args=[pk])).content.decode()
    assert 'id="response-text"' in page and "已电话联系群众" in page
    client.post(reverse("oversight:rectification-respond", args=[pk]), {"response": "已整改"})
    department_rectification.refresh_from_db()
    assert (department_rectification.state, department_rectification.response) == ("responded", "已整改")
    assert department_rectification.responded_by == people["officer_health"]
    page = client.get(reverse("oversight:rectification", args=[pk])).content.decode()
    assert 'id="awaiting-citizen"' in page and "rectification.respond" in page


def test_an_empty_response_is_refused_with_a_message(client, people, department_rectification):
    pk = department_rectification.pk
    client_for(client, people["officer_health"])
    client.post(reverse("oversight:rectification-contact", args=[pk]), {"note": "已联系"})
    response = client.post(reverse("oversight:rectification-respond", args=[pk]), {"response": " "}, follow=True)
    assert "请填写整改答复" in response.content.decode()
    department_rectification.refresh_from_db()
    assert department_rectification.state == "contacted"


WINDOW_EXPECTED = {"clerk": 200, "clerk_other": 404, "officer_health": 404, "admin": 200, "citizen_a": 403}


@pytest.mark.parametrize("who", sorted(WINDOW_EXPECTED))
def test_window_rectifications_belong_to_the_centre_clerks(client, people, window_rectification, who):
    url = reverse("oversight:rectification", args=[window_rectification.pk])
    assert client_for(client, people[who]).get(url).status_code == WINDOW_EXPECTED[who]
    if who == "clerk":
        client.post(reverse("oversight:rectification-contact", args=[window_rectification.pk]), {"note": "窗口已联系"})
        window_rectification.refresh_from_db()
        assert window_rectification.state == "contacted"


def test_list_flags_overdue_and_late_contact(client, people, department_rectification):
    Rectification.objects.filter(pk=department_rectification.pk).update(overdue=True, contact_late=True)
    client_for(client, people["officer_health"])
    html = client.get(reverse("oversight:rectifications")).content.decode()
    assert 'data-flag="overdue"' in html and 'data-flag="contact-late"' in html
    assert "逾期（1）" in html
    assert (
        f'data-rectification="{department_rectification.pk}"'
        in client.get(reverse("oversight:rectifications") + "?show=overdue").content.decode()
    )


def test_anonymous_staff_pages_go_to_login(client, department_rectification):
    for url in (
        reverse("oversight:rectifications"),
        reverse("oversight:rectification", args=[department_rectification.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
