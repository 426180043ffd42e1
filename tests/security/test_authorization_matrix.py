"""The authorization matrix (issue 7): every URL of the project, for each of eight roles —
anonymous, citizen A, citizen B, clerk of centre X, clerk of centre Y, officer of
department P, officer of department Q, administrator — gets past the access check exactly
when tests/security/matrix.py says so.

The world (tests/security/world.py) is built once per module; each request runs in its own
savepoint, so a POST that gets through changes nothing for the next row.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings
from django.urls import reverse

from tests.security.matrix import MATRIX, ROLES, WINDOW_TOKEN, Probe, markdown_table
from tests.security.urlwalk import endpoints
from tests.security.world import client_for, resolve, start_window_session

pytestmark = pytest.mark.django_db

DENIED_STATUSES = {401, 403, 404}
CASES = [
    pytest.param(name, index, probe, role, id=f"{name}#{index}-{role}" if len(probes) > 1 else f"{name}-{role}")
    for name, probes in MATRIX.items()
    for index, probe in enumerate(probes)
    for role in ROLES
]


def test_every_endpoint_is_in_the_matrix():
    """The list comes from the URL configuration: an endpoint without a row fails here."""
    served = {e.name: e.route for e in endpoints()}
    missing = sorted(set(served) - set(MATRIX))
    stale = sorted(set(MATRIX) - set(served))
    assert not missing, (
        "These URLs have no row in the authorization matrix. Add one to tests/security/matrix.py "
        "saying which roles may use them (and what the view should refuse):\n"
        + "\n".join(f"  {name!r}: /{served[name]}" for name in missing)
    )
    assert not stale, f"tests/security/matrix.py has rows for URLs that no longer exist: {stale}"


def test_docs_show_the_matrix_as_tested():
    """docs/security.md carries the table generated from the matrix
    (``python -m tests.security.matrix`` prints it)."""
    from pathlib import Path

    docs = (Path(settings.BASE_DIR) / "docs" / "security.md").read_text(encoding="utf-8")
    assert markdown_table() in docs, "regenerate the table in docs/security.md: python -m tests.security.matrix"


def test_only_staff_get_into_the_django_admin(world):
    """The Django admin (left out of the matrix) lets in the administrator and nobody else."""
    url = reverse("admin:index")
    for role in ROLES:
        response = client_for(role, world).get(url)
        if role == "admin":
            assert response.status_code == 200, role
        else:
            assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login")), role


def _login_redirect(response) -> bool:
    """Sent to log in: the site's login page, the admin's, or a terminal's card read (the
    kiosk's pages about a citizen take only a session started by a card at a terminal)."""
    return response.status_code in {301, 302} and urlsplit(response["Location"]).path in {
        settings.LOGIN_URL,
        reverse("admin:login"),
        reverse("kiosk:identify"),
    }


def _request(role: str, probe: Probe, name: str, world):
    client = client_for(role, world)
    kwargs = {key: resolve(value, world) for key, value in probe.kwargs.items()}
    if kwargs.get("token") == WINDOW_TOKEN:
        kwargs["token"] = start_window_session(client) if role == "clerk_x" else "not-this-sessions-token"
    query = {key: resolve(value, world) for key, value in probe.query.items()}
    url = reverse(name, kwargs=kwargs) + (f"?{urlencode(query)}" if query else "")
    if probe.method == "POST":
        if probe.content_type:
            return url, client.post(url, json.dumps(probe.data), content_type=probe.content_type)
        return url, client.post(url, probe.data)
    return url, client.get(url, probe.data)


@pytest.mark.parametrize(("name", "index", "probe", "role"), CASES)
def test_access(world, name: str, index: int, probe: Probe, role: str):
    url, response = _request(role, probe, name, world)
    query = {key: resolve(value, world) for key, value in probe.query.items()}
    status = response.status_code
    seen = f"{probe.method} {url} as {role}: {status} {response.get('Location', '')}"
    assert status != 405, f"{seen}: the matrix uses a method the view does not take"
    denied = status in DENIED_STATUSES or _login_redirect(response)
    if role in probe.allowed:
        assert not denied, f"{seen}: should get past authorization ({probe.why})"
        assert status < 500 or (status == 503 and probe.unavailable_ok), seen
    else:
        assert denied, f"{seen}: should be refused (401/403/404 or the login page)"
    if probe.shows_a_to is not None and not denied:
        body = b"".join(response.streaming_content) if response.streaming else response.content
        for key, value in query.items():  # a search form and its links echo what was asked for
            body = body.replace(f'value="{value}"'.encode(), b"").replace(urlencode({key: value}).encode(), b"")
        shown = [marker for marker in _markers_of_a(world) if marker.encode() in body]
        if role in probe.shows_a_to:
            assert shown, f"{seen}: should list citizen A's cases or drafts (else the check below proves nothing)"
        else:
            assert not shown, f"{seen}: shows citizen A's {shown}"


def _markers_of_a(world) -> list[str]:
    """What identifies citizen A's things in a list: case numbers and the draft's id."""
    cases = (world.concluded, world.live, world.refused, world.submitted)
    return [case.number for case in cases] + [str(world.draft.pk)]


def test_ids_inside_a_request_body_are_checked_too(world):
    """Objects named in a form or JSON body, not the URL: another case's item case or
    material check, someone else's upload. Each is refused like a foreign URL."""
    from onething.apply import services as apply_services
    from onething.catalog.selectors import published_version
    from tests.processing.conftest import ANSWERS

    mine = client_for("citizen_a", world)
    page = reverse("apply:case", kwargs={"number": world.concluded.number})
    assert mine.post(page, {"action": "supplement", "item_case": world.item_case.pk}).status_code == 404
    assert mine.post(page, {"action": "supply", "check": world.deferred_check.pk}).status_code == 404
    clerk = client_for("clerk_x", world)
    supply = reverse(
        "intake:check-supply", kwargs={"number": world.concluded.number, "check_id": world.deferred_check.pk}
    )
    assert clerk.post(supply).status_code == 404
    draft = apply_services.draft_start(
        applicant=world.users["citizen_b"], version=published_version(bundle_code="child-birth"), raw_answers=ANSWERS
    )
    key = next(iter(world.upload.casematerial_set.values_list("key", flat=True)))
    attach = client_for("citizen_b", world).post(
        reverse("api-draft-materials", kwargs={"draft_id": draft.pk}),
        {"key": key, "upload": world.upload.pk},
        content_type="application/json",
    )
    assert attach.status_code == 400 and attach.json()["error"]["code"] == "material_not_allowed"
    draft.refresh_from_db()
    assert key not in draft.materials or draft.materials[key].get("upload") != world.upload.pk
