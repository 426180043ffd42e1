"""After logging in, each role lands on its own page: clerks on their queue, officers on
their workbench, administrators on the dashboard, applicants on 我的申请; a ``next`` on
this site wins, one pointing elsewhere is ignored. The login itself costs a fixed number of
queries (the password hash is the only slow part: see docs/security.md)."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from onething.operations.management.commands.load_demo import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    CLERK_PASSWORD,
    DEMO_PASSWORD,
    OFFICER_PASSWORD,
)
from services.datahub.demo_identities import MOTHER

pytestmark = pytest.mark.django_db

LANDINGS = [
    ("clerk-huangpu", CLERK_PASSWORD, "/console/"),
    ("officer-health-commission", OFFICER_PASSWORD, "/workbench/"),
    (ADMIN_USERNAME, ADMIN_PASSWORD, "/oversight/"),
    (MOTHER.id_number, DEMO_PASSWORD, "/my/"),
]


def log_in(client, identity, password, **extra):
    return client.post("/accounts/login/", {"identity": identity, "password": password, **extra})


@pytest.mark.parametrize(("identity", "password", "landing"), LANDINGS)
def test_each_role_lands_on_its_own_page(demo_bundles, client, identity, password, landing):
    response = log_in(client, identity, password)
    assert response.status_code == 302 and response["Location"] == landing
    assert client.get(landing).status_code == 200


@pytest.mark.parametrize("target", ["/console/cases/X/", "/notice/child-birth/"])
def test_a_next_on_this_site_wins(demo_bundles, client, target):
    response = log_in(client, "clerk-huangpu", CLERK_PASSWORD, next=target)
    assert response["Location"] == target


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/console/", "http:/\\evil.example"])
def test_a_next_elsewhere_is_ignored_for_the_role_landing(demo_bundles, client, target):
    response = log_in(client, "officer-health-commission", OFFICER_PASSWORD, next=target)
    assert response.status_code == 302 and response["Location"] == "/workbench/"


def test_login_costs_a_fixed_number_of_queries(demo_bundles, client):
    """axes' two counts, the user, the session, axes' reset and log, last_login: no query
    grows with the data. The page after it is not part of this count."""
    client.get("/accounts/login/")
    with CaptureQueriesContext(connection) as queries:
        response = log_in(client, "clerk-huangpu", CLERK_PASSWORD)
    assert response.status_code == 302
    assert len(queries) <= 20, [q["sql"][:80] for q in queries]


def test_production_keeps_a_slow_password_hash():
    """The speed of login is not bought by a weaker hash: outside the tests the settings use
    Django's default hashers (PBKDF2 first, at Django's iteration count)."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from onething import settings as product_settings

    hashers = getattr(product_settings, "PASSWORD_HASHERS", None)
    assert hashers is None or hashers[0] == "django.contrib.auth.hashers.PBKDF2PasswordHasher"
    assert PBKDF2PasswordHasher.iterations >= 1_000_000
    assert settings.PASSWORD_HASHERS[0].endswith("MD5PasswordHasher")  # the tests' own, fast
