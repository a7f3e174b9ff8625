"""Names and Roles (NRPS): the LMS course's members, through the same plan-and-apply path as a roster CSV.

Members who left the LMS course (absent, or not Active) are dropped, never deleted. Members without an
e-mail address can't be matched to an account and are reported as skipped. Accounts this sync creates
are linked to their LMS identity at once (reflect made them); existing accounts are linked at their
owner's first launch, after they sign in.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django_tasks import task
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import ServiceConnector

from courses.lti.launch import role_from_claims
from courses.lti.models import LtiContext, LtiIdentity
from courses.lti.tool_config import http_session, platform_registration
from courses.roster import Action, RosterPlan, RosterRow, roster_rows_import


class RosterSyncError(Exception):
    """The roster can't be synced; the message says why, `status` is for the page (502: the platform failed)."""

    def __init__(self, message: str, status: int = 502):
        super().__init__(message)
        self.status = status


@dataclass
class SyncResult:
    plan: RosterPlan
    skipped: list[str]  # members that couldn't be taken, with why


def service_error(error: Exception) -> str:
    """A platform's refusal as one line for people: its status and the start of its answer."""
    if isinstance(error, LtiServiceException):
        response = error.response
        return f"HTTP {response.status_code}: {response.text[:300]}"
    return f"{type(error).__name__}: {str(error)[:300]}"


def members_fetch(context: LtiContext) -> list[dict]:
    """Every member of the platform's course (following the platform's pages)."""
    connector = ServiceConnector(platform_registration(context.platform), http_session())
    service = NamesRolesProvisioningService(connector, {"context_memberships_url": context.memberships_url})
    try:
        return service.get_members()
    except (LtiException, LtiServiceException, OSError) as error:
        raise RosterSyncError(f"The LMS didn't give its roster ({service_error(error)}).") from error


def _rows(members: list[dict]) -> tuple[list[RosterRow], list[str], dict[str, str]]:
    rows, skipped, subs = [], [], {}
    for line, member in enumerate(members, start=1):
        if member.get("status", "Active") != "Active":
            continue  # left the course: not in the rows, so dropped
        role = role_from_claims(member.get("roles") or [])
        name = member.get("name") or f"{member.get('given_name', '')} {member.get('family_name', '')}".strip()
        if role is None:
            continue
        email = (member.get("email") or "").strip().lower()
        if not email:
            skipped.append(f"{name or member.get('user_id')}: the LMS gives no e-mail address.")
            continue
        if email in subs:
            skipped.append(f"{name or email}: the same e-mail as another member.")
            continue
        subs[email] = str(member.get("user_id", ""))
        rows.append(RosterRow(line=line, email=email, first_name=(member.get("given_name") or "")[:150] or None,
                              last_name=(member.get("family_name") or "")[:150] or None, role=role))
    return rows, skipped, subs


def roster_sync(*, context: LtiContext, actor=None, dry_run: bool = False,
                expected_digest: str | None = None) -> SyncResult:
    """Plan (and unless `dry_run` apply) the LMS roster of a linked course; raises RosterSyncError, PlanChanged."""
    if not context.memberships_url:
        raise RosterSyncError("The LMS hasn't offered its roster to reflect (no Names and Roles service in its "
                              "launches). Turn the service on for reflect in the LMS, then launch once.", 409)
    members = members_fetch(context)
    rows, skipped, subs = _rows(members)
    if not rows:
        # An empty answer would drop every student; believe it only from a file the instructor chose.
        raise RosterSyncError("The LMS returned nobody with an e-mail address; nothing was changed.", 409)
    with transaction.atomic():
        plan = roster_rows_import(course=context.course, rows=rows, drop_missing=True, actor=actor,
                                  dry_run=dry_run, expected_digest=expected_digest)
        if not dry_run:
            _link_created(context, plan, subs)
            LtiContext.objects.filter(pk=context.pk).update(roster_synced_at=timezone.now())
    return SyncResult(plan=plan, skipped=skipped)


def _link_created(context: LtiContext, plan: RosterPlan, subs: dict[str, str]) -> None:
    created = [p.email for p in plan.of(Action.CREATE)]
    if not created:
        return
    users = get_user_model().objects.annotate(email_lower=Lower("email")).filter(email_lower__in=created)
    LtiIdentity.objects.bulk_create(
        [LtiIdentity(issuer=context.platform.issuer, sub=subs[u.email.lower()], user=u)
         for u in users if subs.get(u.email.lower())],
        ignore_conflicts=True)


def roster_sync_enqueue(*, context: LtiContext, actor) -> None:
    transaction.on_commit(lambda: lti_roster_sync.enqueue(context_id=context.pk, actor_id=actor.pk))


@task()
def lti_roster_sync(*, context_id: int, actor_id: int | None = None) -> str:
    """Queued on each instructor launch: apply the LMS roster to the linked course."""
    context = LtiContext.objects.select_related("platform", "course").filter(pk=context_id).first()
    if context is None or context.course is None or not context.memberships_url:
        return "nothing to sync"
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    try:
        result = roster_sync(context=context, actor=actor)
    except RosterSyncError as error:
        return str(error)
    return str(result.plan.totals())
