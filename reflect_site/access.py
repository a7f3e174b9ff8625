"""The access matrix's vocabulary: each app lists, per view, what every role gets.

Apps declare their cases in `<app>/tests/access_cases*.py` as lists named CASES;
reflect_site/tests/test_access_matrix.py runs them all and checks that every
named URL of the site has at least one case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

ROLES = ("anonymous", "student", "other_student", "ta", "instructor", "outsider", "other_ta")


@dataclass(frozen=True)
class AccessCase:
    """One request, and the status each role must get for it.

    `url` builds the path from the World fixture; `expect` maps role → status
    (302 for anonymous means "sent to log in"). Roles left out get `default`.
    """

    url_name: str
    url: Callable[[object], str]
    expect: dict[str, int]
    method: str = "get"
    data: Callable[[object], dict] | None = None
    content_type: str | None = None
    default: int = 404
    setup: Callable[[object], None] | None = field(default=None)

    def status_for(self, role: str) -> int:
        return self.expect.get(role, self.default)
