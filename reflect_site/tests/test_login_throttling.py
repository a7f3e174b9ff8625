"""Repeated wrong passwords lock out the username and the address, without telling who exists."""

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client

from courses.tests.factories import make_user

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


@pytest.fixture
def limit(settings) -> int:
    settings.AXES_FAILURE_LIMIT = 5
    return 5


def _try(client: Client, username: str, password: str, path: str = LOGIN, ip: str = "203.0.113.7", **extra):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def test_fifty_wrong_passwords_lock_the_account_so_the_right_one_is_refused_too(limit):
    make_user("ada", password="the-right-one")
    client = Client()
    statuses = [_try(client, "ada", f"guess-{i}").status_code for i in range(50)]
    assert statuses[: limit - 1] == [200] * (limit - 1)  # the form again, with an error
    assert set(statuses[limit:]) == {429}
    response = _try(client, "ada", "the-right-one")
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lockout_reads_the_same_for_a_username_that_does_not_exist(limit):
    make_user("ada", password="the-right-one")
    real = [_try(Client(), "ada", "wrong", ip="198.51.100.1") for _ in range(limit + 1)][-1]
    ghost = [_try(Client(), "nobody-by-this-name", "wrong", ip="198.51.100.2") for _ in range(limit + 1)][-1]
    assert real.status_code == ghost.status_code == 429
    assert real.content == ghost.content


def test_many_usernames_from_one_address_lock_the_address(limit):
    make_user("ada", password="the-right-one")
    for i in range(limit):
        _try(Client(), f"someone-{i}", "wrong", ip="192.0.2.9")
    assert _try(Client(), "ada", "the-right-one", ip="192.0.2.9").status_code == 429
    assert _try(Client(), "ada", "the-right-one", ip="192.0.2.10").status_code == 302  # elsewhere, fine


def test_the_admin_login_is_throttled_too(limit):
    make_user("root", password="the-right-one", is_staff=True, is_superuser=True)
    for _ in range(limit):
        _try(Client(), "root", "wrong", path="/admin/login/")
    assert _try(Client(), "root", "the-right-one", path="/admin/login/").status_code == 429


def test_an_administrator_unlocks_an_account_and_it_logs_in_again(limit):
    make_user("ada", password="the-right-one")
    admin = make_user("root", password="pw", is_staff=True, is_superuser=True)
    for _ in range(limit):
        _try(Client(), "ada", "wrong")
    assert _try(Client(), "ada", "the-right-one").status_code == 429
    staff = Client()
    staff.force_login(admin)
    attempts = AccessAttempt.objects.filter(username="ada")
    assert staff.get("/admin/axes/accessattempt/").status_code == 200
    staff.post("/admin/axes/accessattempt/", {
        "action": "delete_selected", "_selected_action": [a.pk for a in attempts], "post": "yes",
    })
    assert not AccessAttempt.objects.filter(username="ada").exists()
    assert _try(Client(), "ada", "the-right-one").status_code == 302


def test_the_command_line_unlocks_a_username(limit):
    make_user("ada", password="the-right-one")
    for _ in range(limit):
        _try(Client(), "ada", "wrong")
    call_command("axes_reset_username", "ada")
    assert _try(Client(), "ada", "the-right-one").status_code == 302


def test_behind_a_trusted_proxy_the_client_address_comes_from_x_forwarded_for(limit, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    make_user("ada", password="the-right-one")
    for i in range(limit):
        _try(Client(), f"someone-{i}", "wrong", ip="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.50")
    # The balancer's own address is shared by everyone; only the forwarded client is locked.
    assert _try(Client(), "ada", "the-right-one", ip="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.50").status_code == 429
    assert _try(Client(), "ada", "the-right-one", ip="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.51").status_code == 302
