"""Access-matrix case for the load balancers' health check: anyone, signed in or not."""

from reflect_site.access import ROLES, AccessCase

CASES: list[AccessCase] = [
    AccessCase("healthz", lambda w: "/healthz", {role: 200 for role in ROLES}),
]
