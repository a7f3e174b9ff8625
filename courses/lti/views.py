"""LTI 1.3 endpoints: the JWKS, OIDC login initiation, the launch, and the pages a launch may lead to.

Only the two endpoints the LMS posts to (login initiation and launch) are CSRF-exempt; they are
protected by the OIDC state cookie and the signed id_token instead. Every refusal is a 4xx page
that names the reason and writes nothing.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pylti1p3.contrib.django import DjangoMessageLaunch, DjangoOIDCLogin
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import LtiException, OIDCException

from courses.lti import keys
from courses.lti.launch import (
    CONTEXT,
    DEEP_LINK_LAUNCH,
    MESSAGE_TYPE,
    ROLES,
    LaunchRefused,
    Person,
    account_with_email,
    context_link,
    context_record,
    enrollment_ensure,
    identity_create,
    identity_user,
    launch_claims_check,
    link_target,
    role_from_claims,
)
from courses.lti.models import LineItemsPer, LtiContext, LtiPlatform, origin_of
from courses.lti.roster_sync import RosterSyncError, roster_sync, roster_sync_enqueue
from courses.lti.tool_config import DatabaseLaunchStorage, DatabaseToolConf, http_session
from courses.models import Course, Enrollment, EnrollmentStatus, Module, Role
from courses.roster import PlanChanged
from courses.selectors import get_course_for_manager

SESSION_KEY = "lti"  # {"origins": [...], "launches": [launch ids]}: set only by a verified launch
PENDING_KEY = "lti_pending"
LAUNCHES_KEPT = 5

# pylti1p3's messages, as the person reading the refusal needs them.
_REASONS = (
    ("Signature has expired", "The launch has expired. Go back to your LMS and open the link again.", 401),
    ("Invalid Nonce", "This launch was already used. Go back to your LMS and open the link again.", 401),
    ("Unable to find deployment", "This LMS deployment isn't registered with reflect. Ask your administrator.", 403),
    ("Unable to find public key", "The launch is signed with a key the LMS doesn't publish.", 401),
    ("Can't decode id_token", "The launch's signature doesn't verify against the LMS's keys.", 401),
    ("Registration not found", "This LMS isn't registered with reflect (issuer or client id unknown).", 403),
    ("not found in settings", "This LMS isn't registered with reflect (issuer or client id unknown).", 403),
    ("Could not find registration", "This LMS isn't registered with reflect (issuer or client id unknown).", 403),
    ("Missing id_token", "The launch carries no id_token.", 400),
    ("must contain 3 parts", "The launch's id_token is malformed.", 400),
    ("can't be decoded", "The launch's id_token is malformed.", 400),
    ("Must have a user", "The launch doesn't say who you are (no subject).", 400),
    ("Missing Roles", "The launch doesn't give your role in the course.", 400),
    ("Incorrect version", "The launch isn't LTI 1.3.", 400),
    ("Missing Resource Link", "The launch doesn't say which link was opened.", 400),
    ("message type", "The launch's message type is missing or unknown.", 400),
    ("deployment_id is not set", "The launch doesn't name its deployment.", 400),
    ("Missing state", "The launch has no state: start it from your LMS.", 400),
)


def _tool_conf() -> DatabaseToolConf:
    return DatabaseToolConf()


def _refused(request: HttpRequest, message: str, status: int, platform: LtiPlatform | None = None) -> HttpResponse:
    if platform is not None:
        request.lti_frame_origins = platform.frame_origin_list  # shown inside the registered platform's frame
    return render(request, "lti/refused.html", {"message": message}, status=status)


def _reason(error: Exception) -> tuple[str, int]:
    text = str(error)
    for needle, message, status in _REASONS:
        if needle in text:
            return message, status
    return "The launch could not be verified.", 400


def _absolute(request: HttpRequest, name: str) -> str:
    return request.build_absolute_uri(reverse(name))


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    """The tool's public keys, for platforms to verify what reflect signs."""
    return JsonResponse(keys.jwks())


@csrf_exempt
@require_http_methods(["GET", "POST"])
def oidc_login(request: HttpRequest) -> HttpResponse:
    """Third-party login initiation: check the platform, then send the browser to its OIDC endpoint."""
    params = request.POST if request.method == "POST" else request.GET
    login_params = {k: params[k] for k in ("iss", "login_hint", "target_link_uri", "lti_message_hint",
                                           "client_id", "lti_deployment_id") if params.get(k)}
    if not login_params.get("iss") or not login_params.get("login_hint"):
        return _refused(request, "A launch starts in your LMS: the login request names no issuer or login hint.", 400)
    oidc_conf = _tool_conf()
    oidc = DjangoOIDCLogin(request, oidc_conf, launch_data_storage=DatabaseLaunchStorage())
    try:
        return oidc.pass_params_to_launch({"login": login_params}).redirect(_absolute(request, "lti:launch"))
    except (LtiException, OIDCException) as error:
        message, status = _reason(error)
        return _refused(request, message, status, oidc_conf.platform)


def _cookies_blocked(request: HttpRequest, state: str, tool_conf: DatabaseToolConf) -> HttpResponse:
    """The state cookie didn't come back: the browser blocks cookies in the LMS frame. Offer a new window."""
    stored = DatabaseLaunchStorage().get_value(f"lti1p3-{state}") if state else None
    login_params = (stored or {}).get("login") if isinstance(stored, dict) else None
    if not login_params:
        return _refused(request, "The launch's state is unknown or expired. Open the link in your LMS again.", 401)
    platform = tool_conf._platform(login_params.get("iss", ""), login_params.get("client_id"))
    if platform is not None:
        request.lti_frame_origins = platform.frame_origin_list
    url = f"{_absolute(request, 'lti:login')}?{urlencode({**login_params, 'lti1p3_new_window': '1'})}"
    return render(request, "lti/new_window.html", {"url": url}, status=401)


@csrf_exempt
@require_POST
def launch(request: HttpRequest) -> HttpResponse:
    """The LMS posts the signed id_token here; a verified launch signs the person in and opens their page."""
    tool_conf = _tool_conf()
    message_launch = DjangoMessageLaunch(request, tool_conf, launch_data_storage=DatabaseLaunchStorage(),
                                         requests_session=http_session())
    try:
        with transaction.atomic():
            claims = message_launch.get_launch_data()
    except LtiException as error:
        if "State not found" in str(error):
            return _cookies_blocked(request, request.POST.get("state", ""), tool_conf)
        message, status = _reason(error)
        return _refused(request, message, status, tool_conf.platform)
    platform = tool_conf.platform
    try:
        launch_claims_check(claims, platform)
        role = role_from_claims(claims.get(ROLES) or [])
        if role is None:
            raise LaunchRefused("reflect is for students, teaching assistants and instructors; your role in this "
                                "LMS course is none of these.")
        if claims.get(MESSAGE_TYPE) == DEEP_LINK_LAUNCH and role != Role.INSTRUCTOR:
            raise LaunchRefused("Only instructors place reflect's modules and questions in the LMS.")
    except LaunchRefused as refused:
        return _refused(request, str(refused), refused.status, platform)
    launch_id = message_launch.get_launch_id()
    person = Person.from_claims(claims)
    user = identity_user(person)
    if user is None:
        # Whatever the LMS says of the address, the account is linked only once its owner has signed in to it.
        if account_with_email(person.email) is not None:
            request.session[PENDING_KEY] = {"launch": launch_id, "platform": platform.pk}
            _frame_session(request, platform, launch_id)
            return redirect("lti:link_account")
        user = identity_create(person=person)
    return _proceed(request, platform, claims, launch_id, user)


def _frame_session(request: HttpRequest, platform: LtiPlatform, launch_id: str) -> None:
    state = request.session.get(SESSION_KEY) or {}
    launches = [launch_id, *[i for i in state.get("launches", []) if i != launch_id]][:LAUNCHES_KEPT]
    request.session[SESSION_KEY] = {"origins": platform.frame_origin_list, "launches": launches}


def _proceed(request: HttpRequest, platform: LtiPlatform, claims: dict, launch_id: str, user) -> HttpResponse:
    if request.user != user:
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    _frame_session(request, platform, launch_id)
    role = role_from_claims(claims.get(ROLES) or [])
    context = context_record(platform=platform, claims=claims)
    if context.course is None:
        if role != Role.INSTRUCTOR:
            return _refused(request, "Your instructor hasn't set this course up in reflect yet. "
                                     "Try again once they have opened it.", 409)
        return redirect("lti:course_link", launch_id=launch_id)
    try:
        enrollment_ensure(course=context.course, user=user, role=role)
    except LaunchRefused as refused:
        return _refused(request, str(refused), refused.status)
    if role == Role.INSTRUCTOR and context.memberships_url:
        roster_sync_enqueue(context=context, actor=user)
    if claims.get(MESSAGE_TYPE) == DEEP_LINK_LAUNCH:
        return redirect("lti:deep_link", launch_id=launch_id)
    return redirect(link_target(context=context, claims=claims))


def _session_launch(request: HttpRequest, launch_id: str) -> dict:
    """A launch of this browser's session (else 404) and its claims."""
    if launch_id not in (request.session.get(SESSION_KEY) or {}).get("launches", []):
        raise Http404("No such launch in this session.")
    claims = DatabaseLaunchStorage().get_value(launch_id)
    if not claims:
        raise Http404("The launch has expired.")
    return claims


def _platform_of(claims: dict) -> LtiPlatform:
    audience = claims.get("aud")
    client_id = audience[0] if isinstance(audience, list) else audience
    return get_object_or_404(LtiPlatform, issuer=claims.get("iss"), client_id=client_id, is_active=True)


@require_http_methods(["GET", "POST"])
def link_account(request: HttpRequest) -> HttpResponse:
    """An account with the launch's e-mail exists: it is linked only once its owner has signed in and confirms."""
    pending = request.session.get(PENDING_KEY)
    if not pending:
        raise Http404("Nothing waits to be linked.")
    claims = _session_launch(request, pending["launch"])
    person = Person.from_claims(claims)
    context = {"email": person.email, "platform": _platform_of(claims),
               "login_url": f"{reverse('login')}?{urlencode({'next': reverse('lti:link_account')})}"}
    if not request.user.is_authenticated:
        return render(request, "lti/link_account.html", context)
    if request.user.email.lower() != person.email:
        return render(request, "lti/link_account.html", {**context, "wrong_account": True}, status=403)
    if request.method == "GET":
        return render(request, "lti/link_account.html", {**context, "confirm": True})
    user = identity_create(person=person, user=request.user)
    del request.session[PENDING_KEY]
    return _proceed(request, context["platform"], claims, pending["launch"], user)


@login_required
@require_http_methods(["GET", "POST"])
def course_link(request: HttpRequest, launch_id: str) -> HttpResponse:
    """First instructor launch of an LMS course: link it to one of their courses, or create one."""
    claims = _session_launch(request, launch_id)
    if role_from_claims(claims.get(ROLES) or []) != Role.INSTRUCTOR:
        raise PermissionDenied("Only the LMS course's instructors link it to reflect.")
    platform = _platform_of(claims)
    context = get_object_or_404(LtiContext, platform=platform, context_id=str(claims[CONTEXT]["id"]))
    own = Course.objects.filter(enrollments__user=request.user, enrollments__role=Role.INSTRUCTOR,
                                enrollments__status=EnrollmentStatus.ACTIVE).order_by("title")
    if context.course_id is not None:
        return _proceed(request, platform, claims, launch_id, request.user)
    if request.method == "POST":
        choice = request.POST.get("course", "")
        per = request.POST.get("line_items_per", LineItemsPer.QUESTION)
        if per not in LineItemsPer.values:
            return _refused(request, "Choose one grade column per question or per module.", 400)
        if choice == "new":
            course = _course_create(context, request.user)
        else:
            course = own.filter(pk=int(choice) if choice.isdigit() else 0).first()
            if course is None:
                messages.error(request, "Choose one of your courses, or create a new one.")
                return render(request, "lti/course_link.html", {"context": context, "courses": own,
                                                                "launch_id": launch_id}, status=400)
        LtiContext.objects.filter(pk=context.pk).update(line_items_per=per)
        context_link(context=context, course=course)
        messages.success(request, f"{context.title or 'The LMS course'} now opens {course.title} in reflect.")
        return _proceed(request, platform, claims, launch_id, request.user)
    return render(request, "lti/course_link.html", {"context": context, "courses": own, "launch_id": launch_id,
                                                    "per_choices": LineItemsPer.choices})


@transaction.atomic
def _course_create(context: LtiContext, user) -> Course:
    base = slugify(context.title)[:40] or "course"
    slug, n = base, 1
    while Course.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    course = Course.objects.create(slug=slug, title=(context.title or "Course from the LMS")[:200])
    Enrollment.objects.create(user=user, course=course, role=Role.INSTRUCTOR)
    return course


@login_required
@require_http_methods(["GET", "POST"])
def deep_link(request: HttpRequest, launch_id: str) -> HttpResponse:
    """Deep linking: the instructor picks a module or question; the LMS gets a signed list of links."""
    claims = _session_launch(request, launch_id)
    if claims.get(MESSAGE_TYPE) != DEEP_LINK_LAUNCH:
        raise Http404("Not a deep-linking launch.")
    if role_from_claims(claims.get(ROLES) or []) != Role.INSTRUCTOR:
        raise PermissionDenied("Only instructors place reflect's pages in the LMS.")
    platform = _platform_of(claims)
    context = get_object_or_404(LtiContext.objects.select_related("course"), platform=platform, course__isnull=False,
                                context_id=str(claims[CONTEXT]["id"]))
    course = context.course
    modules = list(Module.objects.filter(course=course).prefetch_related("questions").order_by("number"))
    if request.method == "GET":
        return render(request, "lti/deep_link.html", {"course": course, "modules": modules, "launch_id": launch_id})
    question_ids = {int(v) for v in request.POST.getlist("question") if v.isdigit()}
    module_slugs = set(request.POST.getlist("module"))
    chosen_questions = [q for m in modules for q in m.questions.all() if q.pk in question_ids]
    chosen_modules = [m for m in modules if m.slug in module_slugs]
    if not chosen_questions and not chosen_modules:
        messages.error(request, "Choose at least one module or question to place in the LMS.")
        return render(request, "lti/deep_link.html", {"course": course, "modules": modules, "launch_id": launch_id},
                      status=400)
    launch_url = _absolute(request, "lti:launch")
    resources = [
        DeepLinkResource().set_url(launch_url).set_title(str(q)[:200]).set_custom_params({"question": str(q.pk)})
        for q in chosen_questions
    ] + [
        DeepLinkResource().set_url(launch_url).set_title(str(m)[:200]).set_custom_params({"module": m.slug})
        for m in chosen_modules
    ]
    message_launch = DjangoMessageLaunch.from_cache(launch_id, request, _tool_conf(),
                                                    launch_data_storage=DatabaseLaunchStorage(),
                                                    requests_session=http_session())
    link = message_launch.get_deep_link()
    token = link.get_response_jwt(resources)
    return_url = claims["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"]["deep_link_return_url"]
    response = render(request, "lti/deep_link_return.html", {"return_url": return_url, "jwt": token,
                                                            "count": len(resources)})
    # This one form goes to the LMS; form-action stays 'self' everywhere else.
    response._csp_update = {"form-action": [origin_of(return_url)]}
    return response


@login_required
@require_http_methods(["GET", "POST"])
def roster(request: HttpRequest, course_slug: str, pk: int) -> HttpResponse:
    """Sync the course's people from the LMS on demand: preview what changes, then confirm (instructors)."""
    enrollment, can_change = get_course_for_manager(request.user, course_slug)
    if not can_change:
        raise PermissionDenied("Only the course's instructors sync its roster.")
    course = enrollment.course
    context = get_object_or_404(LtiContext.objects.select_related("platform"), pk=pk, course=course)
    expected = request.POST.get("digest") if request.method == "POST" else None
    try:
        result = roster_sync(context=context, actor=request.user, dry_run=request.method == "GET",
                             expected_digest=expected)
    except RosterSyncError as error:
        return render(request, "lti/roster.html", {"course": course, "context": context, "error": str(error)},
                      status=error.status)
    except PlanChanged as changed:
        messages.warning(request, "The roster changed since your preview. Here is what the sync would do now.")
        return render(request, "lti/roster.html", {"course": course, "context": context, "plan": changed.plan,
                                                   "digest": changed.plan.digest()}, status=409)
    if request.method == "POST":
        totals = result.plan.totals()
        messages.success(request, f"Synced the roster from the LMS: {totals['create']} new, {totals['add']} added, "
                                  f"{totals['update']} updated, {totals['drop']} dropped.")
        return redirect("people:people", course.slug)
    return render(request, "lti/roster.html", {"course": course, "context": context, "plan": result.plan,
                                               "skipped": result.skipped, "digest": result.plan.digest()})


@login_required
@require_GET
def setup(request: HttpRequest) -> HttpResponse:
    """For superusers: what to paste into Canvas and Moodle, and the registered platforms."""
    if not request.user.is_superuser:
        raise Http404("No such page.")
    urls = {name: _absolute(request, f"lti:{name}") for name in ("login", "launch", "jwks")}
    domain = request.get_host().split(":")[0]
    canvas = {
        "title": "reflect",
        "description": "ML Systems Thinking reflections, graded against a rubric.",
        "oidc_initiation_url": urls["login"],
        "target_link_uri": urls["launch"],
        "public_jwk_url": urls["jwks"],
        "scopes": [
            "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
            "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
            "https://purl.imsglobal.org/spec/lti-ags/scope/score",
            "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
        ],
        "extensions": [{
            "domain": domain, "platform": "canvas.instructure.com", "privacy_level": "public",
            "settings": {"placements": [
                {"placement": "link_selection", "message_type": "LtiDeepLinkingRequest",
                 "target_link_uri": urls["launch"]},
                {"placement": "assignment_selection", "message_type": "LtiDeepLinkingRequest",
                 "target_link_uri": urls["launch"]},
            ]},
        }],
        "custom_fields": {},
    }
    return render(request, "lti/setup.html", {
        "urls": urls, "canvas_json": json.dumps(canvas, indent=2), "platforms": LtiPlatform.objects.all(),
        "debug": settings.DEBUG,
    })
