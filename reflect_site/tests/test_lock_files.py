"""The lock files pin every package exactly, with hashes, and cover what requirements*.txt ask for."""

import re
from pathlib import Path

import pytest
from django.conf import settings

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\]+)")
REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(lock: str) -> dict[str, tuple[str, int]]:
    """name → (version, number of hashes)."""
    pins: dict[str, tuple[str, int]] = {}
    current = None
    for line in (Path(settings.BASE_DIR) / lock).read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = _normal(match.group(1))
            pins[current] = (match.group(2), 0)
        elif line.strip().startswith("--hash=sha256:") and current:
            version, hashes = pins[current]
            pins[current] = (version, hashes + 1)
        elif line and not line.startswith((" ", "#")):
            pytest.fail(f"{lock}: a line that is neither a pin nor a hash: {line!r}")
    return pins


def _asked_for(requirements: str) -> set[str]:
    names = set()
    for line in (Path(settings.BASE_DIR) / requirements).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-r"):
            names.add(_normal(REQUIREMENT.match(line).group(1)))
    return names


@pytest.mark.parametrize(("lock", "requirements"), [
    ("requirements.lock", ["requirements.txt"]),
    ("requirements-test.lock", ["requirements.txt", "requirements-test.txt"]),
])
def test_every_package_is_pinned_with_hashes_and_nothing_asked_for_is_missing(lock, requirements):
    pins = _pins(lock)
    assert pins, lock
    unhashed = [name for name, (_, hashes) in pins.items() if hashes == 0]
    assert unhashed == [], f"{lock} pins without hashes: {unhashed}"
    for requirement in requirements:
        missing = _asked_for(requirement) - set(pins)
        assert missing == set(), f"{requirement} asks for {missing}, which {lock} does not pin"


def test_django_is_past_the_sql_injection_fix():
    version = tuple(int(part) for part in _pins("requirements.lock")["django"][0].split("."))
    assert (5, 2, 8) <= version < (5, 3)  # CVE-2025-64459 is fixed in 5.2.8


def test_the_two_locks_agree_on_every_package_they_share():
    app, test = _pins("requirements.lock"), _pins("requirements-test.lock")
    differ = {name: (app[name][0], test[name][0]) for name in app if name in test and app[name][0] != test[name][0]}
    assert differ == {}


def test_no_lock_names_a_package_index_or_a_local_path():
    for lock in ("requirements.lock", "requirements-test.lock"):
        lines = [line for line in (Path(settings.BASE_DIR) / lock).read_text().splitlines()
                 if not line.startswith("#")]
        for line in lines:
            assert not line.startswith(("--index-url", "--extra-index-url", "--find-links", "-f ", "-i ")), line
            assert "file:" not in line and " @ " not in line, line
