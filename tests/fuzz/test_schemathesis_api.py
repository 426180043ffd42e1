"""schemathesis against the OpenAPI schema (/api/schema/), in-process through the WSGI app,
for each role: no 5xx, every response conforms to the schema documented for its status,
and every status is one the operation documents.

The schema is loaded once per session; every operation is fuzzed for every role with a
small, derandomized number of examples (EXAMPLES, set by the Hypothesis profile:
tests/profiles.py) so the file runs in CI in a few minutes. Session authentication: the
role logs in through Django's test client and its session cookie, CSRF cookie and
``X-CSRFToken`` header go with every generated request.
Half of the generated path parameters are swapped for objects that exist (a published
bundle, the citizen's draft, a case of the clerk's centre) so that the generated bodies
reach the business rules instead of stopping at 404.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from onething.operations.management.commands.load_demo import ADMIN_USERNAME
from tests.profiles import examples

pytestmark = pytest.mark.django_db
EXAMPLES = examples(12)  # tests/profiles.py: 12 under the ci profile
BUNDLES = ["child-birth", "company-startup", "dog-registration", "residence-permit", "utility-hookup"]
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 7,
        "generation": {"deterministic": True, "max-examples": EXAMPLES},
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": False},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
    }
)
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
LOGOUT = "/api/accounts/logout/"


@contextmanager
def keeping_test_connection():
    """The generated requests run the WSGI handler, whose request signals close "old"
    database connections, including the test's own (open transaction) on PostgreSQL.
    Django's test client disconnects them the same way, for each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture(scope="session")
def api_schema(django_db_setup, django_db_blocker):
    """The schema drf-spectacular serves, read through the WSGI app (no network). Loaded
    once; the request may touch the test database (e.g. translations of the choices)."""
    with django_db_blocker.unblock(), keeping_test_connection():
        return schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=CONFIG)


@dataclass
class Role:
    """One role's session: cookies and CSRF header for the generated requests, and the
    objects it can see (for the path parameters)."""

    name: str
    username: str | None
    cookies: dict[str, str] = field(default_factory=dict)
    csrf_token: str = ""
    objects: dict[str, list[str]] = field(default_factory=dict)
    seen: dict[str, set[int]] = field(default_factory=dict)

    def log_in(self) -> None:
        from django.contrib.auth import get_user_model

        client = Client()
        if self.username:
            client.force_login(get_user_model().objects.get(username=self.username))
        client.get("/api/accounts/csrf/")
        self.cookies = {name: morsel.value for name, morsel in client.cookies.items()}
        self.csrf_token = self.cookies["csrftoken"]

    def headers(self, method: str) -> dict[str, str]:
        return {"X-CSRFToken": self.csrf_token} if method.upper() in UNSAFE else {}


@pytest.fixture
def world(demo_bundles, datahub_settings, mother, settings, tmp_path):
    """The demo catalogue, the mother's open draft and her submitted case (routed to the
    Huangpu centre, where clerk-huangpu pre-reviews it)."""
    from onething.apply import services as apply_services
    from onething.catalog.selectors import published_version
    from tests.intake.test_acceptance import online_case
    from tests.processing.conftest import ANSWERS

    settings.UPLOAD_ROOT = tmp_path / "uploads"
    case = online_case(mother)
    draft = apply_services.draft_start(
        applicant=mother, version=published_version(bundle_code="child-birth"), raw_answers=ANSWERS
    )
    return {"code": BUNDLES, "draft_id": [str(draft.pk)], "number": [case.number]}


ROLES = {
    "anonymous": None,
    "citizen": "mother",
    "clerk": "clerk-huangpu",
    "officer": "officer-health-commission",
    "admin": ADMIN_USERNAME,
}


@pytest.fixture
def role(role_name, world, mother):
    username = mother.username if ROLES[role_name] == "mother" else ROLES[role_name]
    role = Role(name=role_name, username=username, objects=world)
    role.log_in()
    return role


def strategy_for(operation, role: Role):
    """Positive and negative cases with generated path parameters, and the same with the
    path parameters set to objects that exist, so bodies reach the business rules."""
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    strategies = [operation.as_strategy(mode) for mode in modes]
    names = [p.name for p in operation.path_parameters]
    if names and all(role.objects.get(name) for name in names):
        real = st.fixed_dictionaries({name: st.sampled_from(role.objects[name]) for name in names})
        strategies += [
            real.flatmap(lambda fixed, m=mode: operation.as_strategy(m, path_parameters=fixed)) for mode in modes
        ]
    return st.one_of(strategies)


def fuzz_operation(operation, role: Role) -> None:
    @given(case=strategy_for(operation, role))
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        with keeping_test_connection():
            response = case.call(headers=role.headers(case.method), cookies=role.cookies)
        role.seen.setdefault(operation.label, set()).add(response.status_code)
        case.validate_response(response, checks=CHECKS)
        if case.path == LOGOUT and response.status_code == 204:
            role.log_in()  # logging out ends the session: start a new one for the next example

    run()


@pytest.mark.parametrize("role_name", list(ROLES))
def test_api_conforms_for_every_role(role_name, api_schema, role):
    failures = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        try:
            fuzz_operation(operation, role)
        except (Exception, BaseExceptionGroup) as failure:  # report every operation, not only the first
            failures.append(f"--- {role_name} {operation.label}\n{failure}")
    assert not failures, "\n\n".join(failures)
    # the session really was the role's: otherwise everything above could be a 403
    for label, status in SIGNED_IN[role_name]:
        assert status in role.seen[label], (label, role.seen[label])


SIGNED_IN = {
    "anonymous": [("GET /api/bundles/", 200), ("GET /api/accounts/me/", 403)],
    "citizen": [
        ("GET /api/accounts/me/", 200),
        ("GET /api/drafts/{draft_id}/", 200),
        ("GET /api/cases/{number}/", 200),
    ],
    "clerk": [
        ("GET /api/accounts/me/", 200),
        ("GET /api/intake/queue/", 200),
        ("GET /api/intake/cases/{number}/", 200),
    ],
    "officer": [("GET /api/accounts/me/", 200), ("GET /api/intake/queue/", 403)],
    "admin": [("GET /api/accounts/me/", 200), ("GET /api/cases/", 200)],
}
