"""One login throttle (django-axes) for every way in: the login page, the API and /admin/login/,
per identity and per address, with a lock-out an administrator can lift."""

import io
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from onething.accounts.models import User

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

ROOT_PASSWORD = "Root-pass-2026"
ADDRESS, OTHER_ADDRESS = "10.0.0.1", "10.0.0.2"


@pytest.fixture
def root(db):
    return User.objects.create_superuser(username="root", password=ROOT_PASSWORD, role=User.Role.ADMIN)


def admin_login(client, username, password, address=ADDRESS, **extra):
    return client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}, REMOTE_ADDR=address, **extra
    )


def page_login(client, identity, password, address=ADDRESS):
    return client.post("/accounts/login/", {"identity": identity, "password": password}, REMOTE_ADDR=address)


def api_login(client, identity, password, address=ADDRESS):
    return client.post(
        "/api/accounts/login/",
        {"identity": identity, "password": password},
        content_type="application/json",
        REMOTE_ADDR=address,
    )


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def assert_locked_page(response, *, both_languages=False):
    """429 with the lock-out message; the admin's lock-out page says it in both languages."""
    assert response.status_code == 429
    html = response.content.decode()
    assert "登录失败次数过多" in html and ("too many failed logins" in html) == both_languages
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60


def assert_locked_admin(response):
    assert_locked_page(response, both_languages=True)


def assert_locked_api(response, *, minutes_left=15):
    """429 in the API's error format, with when to try again."""
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "too_many_attempts"
    assert "登录失败次数过多" in error["message"] and "too many failed logins" in error["message_en"]
    assert (minutes_left - 1) * 60 < error["details"][0]["retry_after_seconds"] <= minutes_left * 60
    assert int(response["Retry-After"]) == error["details"][0]["retry_after_seconds"]


# --- the admin's login: throttled like the others (it was not at all) -----------------------------


def test_admin_login_is_locked_per_identity(client, root, login_limit):
    for _ in range(login_limit - 1):
        assert admin_login(client, "root", "wrong").status_code == 200  # the form again, with its error
    assert_locked_admin(admin_login(client, "root", "wrong"))
    assert_locked_admin(admin_login(client, "root", ROOT_PASSWORD))  # the right password does not help
    assert_locked_admin(admin_login(Client(), " ROOT ", ROOT_PASSWORD, address=OTHER_ADDRESS))  # nor another address
    assert not logged_in(client)


def test_admin_login_is_locked_per_address(client, root, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 4
    for n in range(3):
        assert admin_login(client, f"guess-{n}", "wrong").status_code == 200
    assert_locked_admin(admin_login(client, "guess-3", "wrong"))
    assert_locked_admin(admin_login(client, "root", ROOT_PASSWORD))  # a fresh identity from the same address
    # a client-supplied forwarded address does not escape the count
    assert_locked_admin(admin_login(client, "root", ROOT_PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.9"))
    other = Client()
    assert admin_login(other, "root", ROOT_PASSWORD, address=OTHER_ADDRESS).status_code == 302
    assert logged_in(other) and not logged_in(client)


# --- one counter for the page, the API and the admin -----------------------------------------------


def test_page_api_and_admin_share_one_count(client, account, login_limit):
    assert login_limit == 3
    assert page_login(client, account.username.lower(), "wrong").status_code == 400
    assert api_login(client, f" {account.username} ", "wrong").status_code == 400
    assert_locked_admin(admin_login(client, account.username, "wrong"))  # the third failure, through the admin
    assert_locked_api(api_login(client, account.username, PASSWORD))
    assert_locked_page(page_login(client, account.username, PASSWORD))
    assert not logged_in(client)
    assert AccessAttempt.objects.get().failures_since_start == 3  # one row: this identity from this address


def test_page_lockout_shows_the_form_with_the_message(client, account, login_limit):
    for _ in range(login_limit):
        page_login(client, account.username, "wrong")
    response = page_login(client, account.username, PASSWORD)
    html = response.content.decode()
    assert response.status_code == 429 and "登录失败次数过多" in html and 'name="identity"' in html
    with_english = Client()
    with_english.cookies["django_language"] = "en"
    html = page_login(with_english, account.username, PASSWORD).content.decode()
    assert "too many failed logins" in html


def test_api_is_locked_per_address(client, account, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    for n in range(2):
        assert api_login(client, f"31010419900101{n:04d}", "wrong").status_code == 400
    assert_locked_api(api_login(client, "310104199001019999", "wrong"))
    assert_locked_api(api_login(client, account.username, PASSWORD))
    assert api_login(Client(), account.username, PASSWORD, address=OTHER_ADDRESS).status_code == 200


def test_the_lockout_ends_after_the_window(client, account, login_limit):
    for _ in range(login_limit):
        api_login(client, account.username, "wrong")
    assert_locked_api(api_login(client, account.username, PASSWORD))
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert api_login(client, account.username, PASSWORD).status_code == 200
    assert not AccessAttempt.objects.exists()  # old attempts are cleaned up


def test_trying_while_locked_does_not_prolong_the_lockout(client, account, login_limit):
    for _ in range(login_limit):
        api_login(client, account.username, "wrong")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=10))
    assert_locked_api(api_login(client, account.username, "wrong"), minutes_left=5)
    assert AccessAttempt.objects.get().failures_since_start == login_limit
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert api_login(client, account.username, PASSWORD).status_code == 200


def test_success_forgets_the_identitys_failures_not_the_addresss(client, account, settings):
    settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3, 5
    for _ in range(2):
        assert api_login(client, account.username, "wrong").status_code == 400
    assert api_login(client, account.username, PASSWORD).status_code == 200
    assert AccessLog.objects.filter(username=account.username).exists()
    for _ in range(2):  # counted from zero again
        assert api_login(Client(), account.username, "wrong").status_code == 400
    assert api_login(Client(), account.username, PASSWORD).status_code == 200
    # failures against other identities stay counted for the address after one's own login
    for n in range(4):
        assert api_login(Client(), f"guess-{n}", "wrong").status_code == 400
    assert api_login(Client(), account.username, PASSWORD).status_code == 200
    assert_locked_api(api_login(Client(), "guess-4", "wrong"))


# --- an administrator lifts a lock-out --------------------------------------------------------------


def test_the_administrator_lifts_a_lockout_in_the_admin(client, account, root, login_limit):
    for _ in range(login_limit):
        page_login(client, account.username, "wrong")
    assert_locked_page(page_login(client, account.username, PASSWORD))

    staff = Client()
    assert admin_login(staff, "root", ROOT_PASSWORD, address=OTHER_ADDRESS).status_code == 302
    rows = list(AccessAttempt.objects.filter(username=account.username).values_list("pk", flat=True))
    response = staff.post(
        "/admin/axes/accessattempt/", {"action": "delete_selected", "_selected_action": rows, "post": "yes"}
    )
    assert response.status_code == 302 and not AccessAttempt.objects.filter(username=account.username).exists()

    assert page_login(client, account.username, PASSWORD).status_code == 302
    assert logged_in(client)


def test_the_administrator_lifts_a_lockout_with_the_command(client, root, login_limit):
    for _ in range(login_limit):
        admin_login(client, "root", "wrong")
    assert_locked_admin(admin_login(client, "root", ROOT_PASSWORD))
    out = io.StringIO()
    call_command("axes_reset_username", "ROOT", stdout=out)  # the identity as counted: upper case
    assert "attempts removed" in out.getvalue()
    assert admin_login(client, "root", ROOT_PASSWORD).status_code == 302


# --- the demo superuser is not called "admin" ---------------------------------------------------


def test_the_demo_superuser_has_a_less_guessable_name(db):
    from onething.operations.management.commands.load_demo import ADMIN_PASSWORD, ADMIN_USERNAME

    legacy = User.objects.create_superuser(username="admin", password=ADMIN_PASSWORD, role=User.Role.ADMIN)
    call_command("load_demo", verbosity=0, stdout=io.StringIO())
    assert not User.objects.filter(username="admin").exists()
    steward = User.objects.get(username=ADMIN_USERNAME)
    assert steward.pk == legacy.pk and steward.is_superuser and ADMIN_USERNAME != "admin"
    assert Client().post("/admin/login/", {"username": "admin", "password": ADMIN_PASSWORD}).status_code == 200
    assert Client().post("/admin/login/", {"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}).status_code == 302
