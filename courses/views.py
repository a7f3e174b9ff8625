"""Student-facing pages: dashboard, course, module, question and the student's own response."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from courses import selectors
from courses.deadlines import AnswerWindow, answer_window, deadline_for_student, question_deadline
from courses.models import STAFF_ROLES, LatePolicy, Question, Response, ResponseRevision, Role
from courses.moments import moment_display
from courses.services import (
    ResponseError,
    StaleVersion,
    response_restore,
    response_save_draft,
    response_submit,
)
from courses.signals import student_grade_page_wanted
from courses.wordcount import count_words
from reflect_site.input import InputError, int_in_range, read_json_object, savable_text
from reflect_site.ratelimit import rate_limited

logger = logging.getLogger(__name__)


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The courses the user is enrolled in, and for students what is due next."""
    enrollments = list(selectors.enrollments_for(request.user))
    due_soon = []
    if any(e.role == Role.STUDENT for e in enrollments):
        due_soon = selectors.due_soon_for_student(request.user, timezone.now())
    return render(request, "courses/dashboard.html", {"enrollments": enrollments, "due_soon": due_soon})


@login_required
@require_GET
def course_detail(request: HttpRequest, course_slug: str) -> HttpResponse:
    """A course's modules."""
    enrollment = selectors.get_enrollment(request.user, course_slug)
    modules = list(selectors.modules_with_question_counts(enrollment.course, enrollment))
    if enrollment.role == Role.STUDENT:
        selectors.next_due_for_student(request.user, modules, timezone.now())
    return render(request, "courses/course.html", {
        "course": enrollment.course, "enrollment": enrollment, "modules": modules,
        "is_staff_view": enrollment.role in STAFF_ROLES,
    })


@login_required
@require_GET
def module_detail(request: HttpRequest, course_slug: str, module_slug: str) -> HttpResponse:
    """A module's questions with the student's status and deadlines."""
    module, enrollment = selectors.get_module_for_member(request.user, course_slug, module_slug)
    questions = list(module.questions.all())
    for question in questions:
        question.module = module
        question.deadline = question_deadline(question)  # staff see the question's; students' rows their own
    is_staff_view = enrollment.role in STAFF_ROLES
    rows = [] if is_staff_view else selectors.question_rows_for_student(request.user, questions, timezone.now())
    return render(request, "courses/module.html", {
        "course": module.course, "module": module, "enrollment": enrollment,
        "questions": questions, "rows": rows, "is_staff_view": is_staff_view,
    })


def _refused_key(question: Question) -> str:
    return f"courses:refused:{question.pk}"


def _question_context(request: HttpRequest, question: Question, enrollment, **extra) -> dict:
    now = timezone.now()
    is_staff_view = enrollment.role in STAFF_ROLES
    response = None
    row = None
    deadline = question_deadline(question)
    if not is_staff_view:
        row = selectors.question_rows_for_student(request.user, [question], now)[0]
        response = row.response
        deadline = row.deadline  # the student's own, extensions included
        refused = request.session.pop(_refused_key(question), None)
        if refused:
            # A submission refused just before the redirect here: show the text that was sent, and
            # for a stale one the version saved elsewhere too (both are in the history already).
            extra.setdefault("text", refused["text"])
            if refused.get("stale") and response is not None:
                extra.setdefault("conflict_text", response.text)
    text = extra.pop("text", None)
    if text is None:
        text = response.text if response else ""
    version = extra.pop("version", None)
    if version is None:
        version = response.version if response else 0
    question.deadline = deadline
    past_due = deadline.is_past(now)
    window = answer_window(question, deadline, now)
    context = {
        "course": question.module.course,
        "module": question.module,
        "question": question,
        "enrollment": enrollment,
        "is_staff_view": is_staff_view,
        "row": row,
        "response": response,
        "text": text,
        "version": version,
        "word_count": count_words(text),
        "is_open": window != AnswerWindow.NOT_OPEN,
        "deadline": deadline,
        "past_due": past_due,
        "read_only": not window.accepts_answers,
        "will_be_late": window == AnswerWindow.LATE,
        "late_penalty": bool(window == AnswerWindow.LATE and question.late_policy == LatePolicy.PENALTY),
        # Editing after a release: the released grade stays until the new submission is graded.
        "released_grade_stays": bool(row and row.grade and response and response.is_submitted),
        "zone": question.module.course.time_zone,
        "bands": list(question.bands.all()) if is_staff_view else [],
    }
    context.update(extra)
    return context


@login_required
@require_GET
def question_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The question, the answer box with its live counter, and the lab it informs."""
    question, enrollment = selectors.get_question_for_member(request.user, pk)
    return render(request, "courses/question.html", _question_context(request, question, enrollment))


def _student_question(request: HttpRequest, pk: int) -> Question:
    question, enrollment = selectors.get_question_for_member(request.user, pk)
    if enrollment.role in STAFF_ROLES:
        raise Http404("Only students answer questions.")
    return question


def _read_save_payload(request: HttpRequest) -> tuple[str, int]:
    """The text and base version of a save, JSON (autosave) or form-encoded (submit); ResponseError if unusable."""
    try:
        if request.content_type == "application/json":
            payload = read_json_object(request.body)
            text, version = payload.get("text"), payload.get("version")
        else:
            text, version = request.POST.get("text"), request.POST.get("version")
        if not isinstance(text, str):
            raise ResponseError("The save has no text.")
        text = savable_text(text, what="This answer")
    except InputError as exc:
        raise ResponseError(exc.message) from None
    try:
        version = int_in_range(version, what="A save's version")
    except InputError as exc:
        raise ResponseError(f"The save has no valid version. {exc.message} Reload the page.") from None
    return text.replace("\r\n", "\n"), version


def _body_too_large(request: HttpRequest) -> bool:
    """Refuse huge bodies from their declared length, before reading them."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    return length.isascii() and length.isdigit() and int(length) > settings.RESPONSE_MAX_BYTES * 2 + 10_000


TOO_LARGE = "This answer is too large to save; answers are at most a few hundred words. Please shorten it."


@login_required
@require_POST
@rate_limited("autosave")
def answer_save(request: HttpRequest, pk: int) -> JsonResponse:
    """Autosave (JSON): 200 with the new version, 409 with the current text on a stale version."""
    question = _student_question(request, pk)
    if _body_too_large(request):
        return JsonResponse({"error": TOO_LARGE}, status=413)
    try:
        text, version = _read_save_payload(request)
        outcome = response_save_draft(student=request.user, question=question, text=text, base_version=version)
    except StaleVersion as exc:
        current = exc.response
        return JsonResponse({
            "error": exc.message, "conflict": True,
            "current_version": current.version, "current_text": current.text,
            "current_saved_at": current.updated_at.isoformat(),
            "current_saved_at_display": moment_display(current.updated_at, question.module.course.time_zone),
        }, status=409)
    except ResponseError as exc:
        return JsonResponse({"error": exc.message}, status=exc.status_code)
    response = outcome.response
    reply = {
        "version": response.version, "saved_at": response.updated_at.isoformat(),
        "saved_at_display": moment_display(response.updated_at, question.module.course.time_zone),
        "words": count_words(response.text), "changed": outcome.changed,
    }
    try:
        row = selectors.question_rows_for_student(request.user, [question], timezone.now())[0]
    except DatabaseError as error:
        # The save is committed, so it is acknowledged with its version even if the badge's status can't be
        # read now (the database went away in between); a 503 here would leave the browser a version behind.
        # One line, like every other outage warning: no traceback.
        logger.warning("autosave of response %s acknowledged without its status: %s: %s", response.pk,
                       type(error).__name__, str(error).splitlines()[0] if str(error) else "")
    else:
        reply.update(status=row.status, has_unsubmitted_changes=row.has_unsubmitted_changes)
    return JsonResponse(reply)


@login_required
@require_POST
def answer_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Submit (a plain form POST, so it works without JavaScript).

    Every outcome redirects, so reloading the next page never posts again. A refusal shows its message
    on the question page with the text that was sent back in the box (kept in the session until then).
    """
    question = _student_question(request, pk)
    if _body_too_large(request):
        messages.error(request, TOO_LARGE)
        return redirect(question)
    try:
        text, version = _read_save_payload(request)
    except ResponseError as exc:
        messages.error(request, exc.message)
        return redirect(question)
    try:
        outcome = response_submit(student=request.user, question=question, text=text, base_version=version)
    except ResponseError as exc:
        messages.error(request, exc.message)
        request.session[_refused_key(question)] = {"text": text, "stale": isinstance(exc, StaleVersion)}
        return redirect(question)
    late = " It was marked late." if outcome.response.is_late else ""
    when = moment_display(outcome.response.submitted_at, question.module.course.time_zone)
    messages.success(request, f"Submitted {outcome.response.submitted_word_count} words on {when}.{late}")
    return redirect(outcome.response)


@login_required
@require_GET
def response_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The student's own response: what was submitted, its grade once released, and its history."""
    response = selectors.get_response_for_student(request.user, pk)
    revisions = list(response.revisions.order_by("-created_at", "-id"))
    question = response.question
    question.deadline = deadline_for_student(request.user, question)
    context = {
        "response": response, "question": question, "module": question.module,
        "course": question.module.course, "revisions": revisions, "zone": question.module.course.time_zone,
        "can_restore": answer_window(question, question.deadline, timezone.now()).accepts_answers,
    }
    for _receiver, grade_context in student_grade_page_wanted.send(sender=Response, response=response):
        context.update(grade_context)
    return render(request, "courses/response.html", context)


@login_required
@require_POST
def revision_restore(request: HttpRequest, pk: int) -> HttpResponse:
    """Put an earlier text from the history back as a new draft, then show it in the answer box."""
    response = selectors.get_response_for_student(request.user, pk)
    try:
        revision_id = int_in_range(request.POST.get("revision"), what="The version to restore")
        version = int_in_range(request.POST.get("version"), what="The page's version")
    except InputError as exc:
        messages.error(request, f"Nothing was restored. {exc.message}")
        return redirect(response)
    revision = get_object_or_404(ResponseRevision, pk=revision_id, response=response)
    try:
        outcome = response_restore(student=request.user, revision=revision, base_version=version)
    except StaleVersion as exc:
        messages.error(request, exc.message)
        return redirect(response)
    except ResponseError as exc:
        messages.error(request, f"Nothing was restored. {exc.message}")
        return redirect(response)
    when = moment_display(revision.created_at, response.question.module.course.time_zone)
    if outcome.changed:
        messages.success(request, f"Restored your text from {when} as your draft; it is not submitted.")
    else:
        messages.info(request, f"Your text from {when} is already your current draft.")
    return redirect(response.question)
