"""Settings behave as the README promises, and no model change is missing its migration."""

import os
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command


def _check(env: dict[str, str]) -> subprocess.CompletedProcess:
    unset = {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}  # the suite sets the last
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR, env={**clean, **env}, capture_output=True, text=True, timeout=120,
    )


STRONG_KEY = "x" * 60 + "-unique-enough-0123456789"


def _setting(env: dict[str, str], expression: str) -> str:
    unset = {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "SECURE_HSTS_PRELOAD"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; print({expression})"],
        cwd=settings.BASE_DIR, env={**clean, "DJANGO_SETTINGS_MODULE": "reflect_site.settings", **env},
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_refuses_to_start_without_a_secret_key():
    result = _check({"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_forgetting_debug_fails_closed_instead_of_running_in_debug_mode():
    result = _check({})  # no DEBUG, no SECRET_KEY: production rules, so it refuses
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("weak", ["x", "django-insecure-" + "abcdefgh" * 8, "a" * 80, "short-but-varied-0123"])
def test_production_refuses_a_weak_secret_key(weak):
    result = _check({"DEBUG": "0", "SECRET_KEY": weak, "ALLOWED_HOSTS": "a.example"})
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = _check({"DEBUG": "0", "SECRET_KEY": STRONG_KEY})
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must name" in result.stderr


def test_hsts_preload_is_opt_in():
    production = {"DEBUG": "0", "SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "a.example"}
    assert _setting(production, "settings.SECURE_HSTS_PRELOAD, settings.SECURE_HSTS_SECONDS") == "False 31536000"
    assert _setting({**production, "SECURE_HSTS_PRELOAD": "1"}, "settings.SECURE_HSTS_PRELOAD") == "True"


def test_development_needs_debug_said_out_loud():
    assert _setting({"DEBUG": "1"}, "settings.DEBUG, settings.ALLOWED_HOSTS") == (
        "True ['127.0.0.1', 'localhost', 'testserver']"
    )


def test_production_settings_pass_the_deploy_checks():
    result = _check({"DEBUG": "0", "SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "a.example"})
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_no_migrations_are_pending():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
