"""Every view, every role: the status each must get. A stranger's object is a 404."""

import importlib
import pkgutil

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from reflect_site.access import ROLES, AccessCase

APPS = ("courses", "grading", "activations", "reflect_site")
# Framework views with their own tests upstream.
EXEMPT_NAMESPACES = {"admin"}
EXEMPT_NAMES = {"login", "logout"}


def _cases() -> list[AccessCase]:
    cases = []
    for app in APPS:
        package = importlib.import_module(f"{app}.tests")
        for info in pkgutil.iter_modules(package.__path__):
            if info.name.startswith("access_cases"):
                cases.extend(importlib.import_module(f"{app}.tests.{info.name}").CASES)
    return cases


CASES = _cases()


def _named_urls(resolver=None, namespace: str = "") -> set[str]:
    names = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in EXEMPT_NAMESPACES:
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= _named_urls(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names - EXEMPT_NAMES


def test_every_named_url_is_in_the_matrix():
    covered = {case.url_name for case in CASES}
    missing = sorted(_named_urls() - covered)
    assert not missing, f"views without an access-matrix case: {missing}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method}:{c.url_name}")
def test_access(client, world, case: AccessCase, role: str):
    if case.setup:
        case.setup(world)
    user = world.user(role)
    if user is not None:
        client.force_login(user)
    kwargs = {}
    if case.data:
        kwargs["data"] = case.data(world)
    if case.content_type:
        kwargs["content_type"] = case.content_type
    response = getattr(client, case.method)(case.url(world), **kwargs)
    expected = case.status_for(role)
    assert response.status_code == expected, (
        f"{role} {case.method.upper()} {case.url(world)}: got {response.status_code}, expected {expected}"
    )
    if role == "anonymous" and expected == 302:
        assert "/accounts/login/" in response["Location"]
