"""What a verified launch does: who the person is, which course and page, in which role.

The id_token has been verified by pylti1p3 (signature against the platform's JWKS, state, single-use
nonce, registration, deployment, message claims) and by `launch_claims_check` (audience, authorized
party). Nothing here trusts anything the token doesn't say.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from courses.lti.models import LtiContext, LtiIdentity, LtiPlatform, LtiResourceLink
from courses.models import Course, Enrollment, EnrollmentStatus, Module, Question, Role

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = CLAIM + "message_type"
ROLES = CLAIM + "roles"
CONTEXT = CLAIM + "context"
RESOURCE_LINK = CLAIM + "resource_link"
CUSTOM = CLAIM + "custom"
DEPLOYMENT_ID = CLAIM + "deployment_id"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
RESOURCE_LAUNCH = "LtiResourceLinkRequest"
DEEP_LINK_LAUNCH = "LtiDeepLinkingRequest"

# Context roles (and the institution administrator) mapped to reflect's; the first match wins.
# Short names ("Learner") are the deprecated LTI 1.1 form some platforms still send.
_ROLE_RULES = (
    (re.compile(r"#TeachingAssistant$|/TeachingAssistant|^TeachingAssistant$"), Role.TA),
    (re.compile(r"membership#(Instructor|Administrator|ContentDeveloper)$|institution/person#Administrator$"
                r"|^(Instructor|Administrator|ContentDeveloper)$"), Role.INSTRUCTOR),
    (re.compile(r"membership#Learner$|membership/Learner#|^Learner$"), Role.STUDENT),
)


class LaunchRefused(Exception):
    """A launch that can't go on; the message is for the person, `status` for the response."""

    def __init__(self, message: str, status: int = 403):
        super().__init__(message)
        self.status = status


def role_from_claims(roles: list[str]) -> Role | None:
    """The reflect role of an LTI roles claim: TA before instructor before student; None for observers and the like."""
    for pattern, role in _ROLE_RULES:
        if any(pattern.search(r) for r in roles):
            return role
    return None


def launch_claims_check(claims: dict, platform: LtiPlatform) -> None:
    """What pylti1p3 leaves unchecked: the audience is this tool, and the claims a launch needs are there."""
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if platform.client_id not in audiences:
        raise LaunchRefused("This launch was meant for another tool (wrong audience).", 401)
    if len(audiences) > 1 and claims.get("azp") != platform.client_id:
        raise LaunchRefused("This launch names several audiences but not this tool as the authorized party.", 401)
    if not claims.get("sub"):
        raise LaunchRefused("The launch doesn't say who you are (no subject).", 400)
    if not (claims.get(CONTEXT) or {}).get("id"):
        raise LaunchRefused("The launch doesn't say which course it comes from (no context).", 400)


@dataclass
class Person:
    """Who the claims say the person is."""

    issuer: str
    sub: str
    email: str
    first_name: str
    last_name: str

    @classmethod
    def from_claims(cls, claims: dict) -> Person:
        first = (claims.get("given_name") or "").strip()[:150]
        last = (claims.get("family_name") or "").strip()[:150]
        if not first and not last and claims.get("name"):
            first, _, last = claims["name"].strip().rpartition(" ")
            first, last = (first, last) if first else (last, "")
        email = (claims.get("email") or "").strip().lower()
        return cls(issuer=claims["iss"], sub=str(claims["sub"])[:255], email=email[:254],
                   first_name=first[:150], last_name=last[:150])


def identity_user(person: Person):
    """The account already linked to this person of this platform, its name kept up to date; or None."""
    identity = LtiIdentity.objects.select_related("user").filter(issuer=person.issuer, sub=person.sub).first()
    if identity is None:
        return None
    user = identity.user
    changed = [f for f in ("first_name", "last_name") if getattr(person, f) and getattr(user, f) != getattr(person, f)]
    for field in changed:
        setattr(user, field, getattr(person, field))
    if changed:
        user.save(update_fields=changed)
    return user


def account_with_email(email: str):
    """An account of reflect with this e-mail, which the person must sign in to before it is linked."""
    if not email:
        return None
    return get_user_model().objects.annotate(email_lower=Lower("email")).filter(email_lower=email).first()


def _username(person: Person) -> str:
    User = get_user_model()
    base = re.sub(r"[^\w.@+-]", "", person.email.split("@", 1)[0])[:100] if person.email else ""
    base = base or "lti-" + hashlib.sha256(f"{person.issuer} {person.sub}".encode()).hexdigest()[:10]
    candidate, n = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


@transaction.atomic
def identity_create(*, person: Person, user=None):
    """Link `user` (after they signed in) or a new account to the person; returns the account."""
    if user is None:
        user = get_user_model().objects.create(
            username=_username(person), email=person.email, first_name=person.first_name,
            last_name=person.last_name, password=make_password(None))
    try:
        with transaction.atomic():
            LtiIdentity.objects.create(issuer=person.issuer, sub=person.sub, user=user)
    except IntegrityError:
        # The same person launched twice at once: the first link stands.
        return LtiIdentity.objects.select_related("user").get(issuer=person.issuer, sub=person.sub).user
    return user


def context_record(*, platform: LtiPlatform, claims: dict) -> LtiContext:
    """The platform's course as last launched: its title and service URLs kept current."""
    context_claim = claims[CONTEXT]
    nrps = claims.get(NRPS) or {}
    ags = claims.get(AGS) or {}
    defaults = {
        "title": (context_claim.get("title") or context_claim.get("label") or "")[:300],
        "deployment_id": claims.get(DEPLOYMENT_ID, "")[:255],
    }
    if platform.serves(nrps.get("context_memberships_url", "")):
        defaults["memberships_url"] = nrps["context_memberships_url"][:1000]
    if platform.serves(ags.get("lineitems", "")):
        defaults["lineitems_url"] = ags["lineitems"][:1000]
        defaults["ags_scopes"] = list(ags.get("scope") or [])
    context, _ = LtiContext.objects.update_or_create(
        platform=platform, context_id=str(context_claim["id"])[:255], defaults=defaults)
    return context


def enrollment_ensure(*, course: Course, user, role: Role) -> Enrollment:
    """Enroll the person in the LMS's role; a person dropped in reflect stays dropped."""
    enrollment, created = Enrollment.objects.get_or_create(user=user, course=course, defaults={"role": role})
    if enrollment.status == EnrollmentStatus.DROPPED:
        raise LaunchRefused(f"You were dropped from {course.title} in reflect. Ask your instructor to restore you.")
    if not created and enrollment.role != role:
        enrollment.role = role
        enrollment.save(update_fields=["role"])
    return enrollment


def link_target(*, context: LtiContext, claims: dict) -> str:
    """Where a resource link opens: the module or question it was placed for, else the course."""
    course = context.course
    link_claim = claims.get(RESOURCE_LINK) or {}
    link, _ = LtiResourceLink.objects.get_or_create(
        context=context, resource_link_id=str(link_claim.get("id", ""))[:255],
        defaults={"title": (link_claim.get("title") or "")[:300]})
    if link.question_id is None and link.module_id is None:
        custom = claims.get(CUSTOM) or {}
        question = module = None
        if str(custom.get("question", "")).isdigit():
            question = Question.objects.filter(pk=int(custom["question"]), module__course=course).first()
        elif custom.get("module"):
            module = Module.objects.filter(course=course, slug=str(custom["module"])[:50]).first()
        if question or module:
            link.question, link.module = question, module
            link.save(update_fields=["question", "module"])
    if link.question_id and Question.objects.filter(pk=link.question_id, module__course=course).exists():
        return link.question.get_absolute_url()
    if link.module_id and link.module.course_id == course.pk:
        return link.module.get_absolute_url()
    return course.get_absolute_url()


@transaction.atomic
def context_link(*, context: LtiContext, course: Course) -> LtiContext:
    """Link the platform's course to a reflect course (the instructor's choice at the first launch)."""
    LtiContext.objects.filter(pk=context.pk).update(course=course)
    context.course = course
    return context
