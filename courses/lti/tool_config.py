"""pylti1p3's view of reflect: registrations from LtiPlatform rows, launch storage in the database.

App servers keep no launch state of their own: state parameters, nonces and launch data are
LtiLaunchValue rows, so the OIDC login and the launch may reach different servers.
"""

from __future__ import annotations

from datetime import timedelta

import requests
from django.conf import settings
from django.utils import timezone
from pylti1p3.deployment import Deployment
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract

from courses.lti.keys import signing_key
from courses.lti.models import LtiLaunchValue, LtiPlatform

NONCE_PREFIX = "lti1p3-nonce-"


class TimeoutSession(requests.Session):
    """Every outbound call to a platform gives up after settings.LTI_HTTP_TIMEOUT seconds."""

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", settings.LTI_HTTP_TIMEOUT)
        return super().request(*args, **kwargs)


def http_session() -> requests.Session:
    session = TimeoutSession()
    session.headers["User-Agent"] = "reflect-lti"
    return session


def platform_registration(platform: LtiPlatform) -> Registration:
    """The pylti1p3 registration of a platform, with the tool's current signing key."""
    key = signing_key()
    registration = Registration()
    registration.set_issuer(platform.issuer).set_client_id(platform.client_id)
    registration.set_auth_login_url(platform.auth_login_url).set_auth_token_url(platform.auth_token_url)
    registration.set_key_set_url(platform.key_set_url).set_key_set(None)
    registration.set_auth_audience(platform.auth_audience or None)
    registration.set_tool_private_key(key.private_pem).set_tool_public_key(key.public_pem)
    return registration


class DatabaseToolConf(ToolConfAbstract):
    """Registrations are LtiPlatform rows; an issuer may have several client ids."""

    def __init__(self):
        super().__init__()
        self.platform: LtiPlatform | None = None

    def check_iss_has_one_client(self, iss):
        return False

    def check_iss_has_many_clients(self, iss):
        return True

    def _platform(self, iss: str, client_id: str | None) -> LtiPlatform | None:
        if self.platform is not None and self.platform.issuer == iss and (
                client_id is None or self.platform.client_id == client_id):
            return self.platform
        platforms = LtiPlatform.objects.filter(issuer=iss, is_active=True)
        if client_id:
            platforms = platforms.filter(client_id=client_id)
        found = list(platforms[:2])
        # Without a client id the issuer must name one registration, not the first of several.
        self.platform = found[0] if len(found) == 1 else None
        return self.platform

    def find_registration_by_issuer(self, iss, *args, **kwargs):
        platform = self._platform(iss, None)
        return platform_registration(platform) if platform else None

    def find_registration_by_params(self, iss, client_id, *args, **kwargs):
        platform = self._platform(iss, client_id)
        return platform_registration(platform) if platform else None

    def find_deployment(self, iss, deployment_id):
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        platform = self._platform(iss, client_id)
        if platform is None or deployment_id not in platform.deployment_id_list:
            return None
        return Deployment().set_deployment_id(deployment_id)


class DatabaseLaunchStorage(LaunchDataStorage):
    """Key-value rows with an expiry. A nonce is single-use: checking it deletes it."""

    _session_cookie_name = None  # keys are random already; no per-browser cookie needed

    def get_session_cookie_name(self):
        return None

    def can_set_keys_expiration(self) -> bool:
        return True

    def get_value(self, key: str):
        row = LtiLaunchValue.objects.filter(key=self._prepare_key(key), expires_at__gt=timezone.now()).first()
        return row.value if row else None

    def set_value(self, key: str, value, exp: int | None = None) -> None:
        # pylti1p3 asks for a day; nothing of a launch is needed for longer than the setting.
        expires = timezone.now() + timedelta(seconds=min(exp or settings.LTI_LAUNCH_DATA_SECONDS,
                                                         settings.LTI_LAUNCH_DATA_SECONDS))
        LtiLaunchValue.objects.update_or_create(key=self._prepare_key(key),
                                                defaults={"value": value, "expires_at": expires})

    def check_value(self, key: str) -> bool:
        key = self._prepare_key(key)
        if key.startswith(NONCE_PREFIX):
            deleted, _ = LtiLaunchValue.objects.filter(key=key, expires_at__gt=timezone.now()).delete()
            return deleted == 1
        return LtiLaunchValue.objects.filter(key=key, expires_at__gt=timezone.now()).exists()


def launch_values_purge() -> int:
    """Delete expired launch values; returns how many."""
    deleted, _ = LtiLaunchValue.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
