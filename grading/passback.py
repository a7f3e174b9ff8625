"""Grade passback (LTI Assignment and Grade Services): released scores go to the LMS's grade columns.

Every release or withdrawal (a ReleaseEvent, whichever path made it: the confirmation page, a schedule)
queues `passback_question_send` once it commits. The task works out, per linked LMS course, what each
student's column should hold (the score after any late penalty, or nothing after a withdrawal), keeps it
in a ScorePost row, and posts only what the LMS doesn't have yet, so running it twice posts nothing twice.
A refused post is retried with exponential backoff and its error stays on the passback page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django_tasks import task
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade as LtiGrade
from pylti1p3.lineitem import LineItem as LtiLineItem
from pylti1p3.service_connector import ServiceConnector

from courses.deadlines import late_score
from courses.lti.models import LineItemsPer, LtiContext, LtiIdentity
from courses.lti.roster_sync import service_error
from courses.lti.tool_config import http_session, platform_registration
from courses.models import Enrollment, Module, Question, Response, ResponseStatus, Role
from grading.models import GradeRelease, LineItem, PassbackStatus, ReleaseEvent, ScorePost

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
logger = logging.getLogger(__name__)
# A post without an LMS identity is tried again too: the student may have launched since.
SENDABLE = (PassbackStatus.PENDING, PassbackStatus.FAILED, PassbackStatus.NO_LMS_ACCOUNT)


@dataclass(frozen=True)
class Wanted:
    """What one student's column should say."""

    released: bool
    score_given: Decimal | None
    score_maximum: Decimal
    activity_progress: str
    grading_progress: str


def _contexts_for(question: Question) -> list[LtiContext]:
    return list(
        LtiContext.objects.filter(course_id=question.module.course_id).exclude(lineitems_url="")
        .select_related("platform")
    )


def _connector(context: LtiContext) -> AssignmentsGradesService:
    connector = ServiceConnector(platform_registration(context.platform), http_session())
    return AssignmentsGradesService(connector, {"scope": context.ags_scopes or [SCORE_SCOPE, LINEITEM_SCOPE],
                                                "lineitems": context.lineitems_url})


def _target(context: LtiContext, question: Question) -> tuple[str, str, list[Question], Question | None, Module | None]:
    """The column of `question` in this context: (tag, label, its questions, question, module)."""
    if context.line_items_per == LineItemsPer.MODULE:
        module = question.module
        return (f"reflect-module-{module.pk}", str(module), list(module.questions.order_by("number")), None, module)
    return f"reflect-question-{question.pk}", f"{question.module.title}: {question}", [question], question, None


def line_item_ensure(context: LtiContext, question: Question, service: AssignmentsGradesService) -> LineItem:
    """The column for `question` (or its module), found by its tag at the platform or created there once."""
    tag, label, questions, one_question, module = _target(context, question)
    maximum = Decimal(sum(q.points for q in questions))
    existing = LineItem.objects.filter(context=context, tag=tag).first()
    if existing is not None:
        return existing
    wanted = (LtiLineItem().set_tag(tag).set_label(label[:300]).set_score_maximum(float(maximum))
              .set_resource_id(tag))
    found = service.find_or_create_lineitem(wanted, find_by="tag")
    if not context.platform.serves(found.get_id() or ""):
        raise LtiException(f"The LMS named a grade column at {str(found.get_id())[:200]}, "
                           "outside its registered hosts.")
    item, _ = LineItem.objects.get_or_create(context=context, tag=tag, defaults={
        "url": found.get_id(), "label": label[:300], "score_maximum": maximum,
        "question": one_question, "module": module})
    return item


def _wanted(questions: list[Question], student_ids: list[int]) -> dict[int, Wanted]:
    """Per student: the released score (after late penalties) summed over `questions`, or a withdrawal."""
    released = set(GradeRelease.objects.filter(question__in=questions, released=True)
                   .values_list("question_id", flat=True))
    maximum = Decimal(sum(q.points for q in questions))
    by_pk = {q.pk: q for q in questions}
    totals: dict[int, Decimal] = {}
    submitted: set[int] = set()
    responses = (Response.objects.filter(question__in=questions, student_id__in=student_ids,
                                         status=ResponseStatus.SUBMITTED)
                 .select_related("grade").values_list("student_id", "question_id", "late_seconds", "grade__score"))
    for student_id, question_id, late_seconds, score in responses:
        submitted.add(student_id)
        if question_id in released and score is not None:
            kept = late_score(by_pk[question_id], late_seconds, score).penalised
            totals[student_id] = totals.get(student_id, Decimal(0)) + kept
    result = {}
    for student_id in student_ids:
        activity = "Submitted" if student_id in submitted else "Initialized"
        if released and student_id in totals:
            result[student_id] = Wanted(True, totals[student_id], maximum, activity,
                                        "FullyGraded" if len(released) == len(questions) else "Pending")
        else:
            result[student_id] = Wanted(False, None, maximum, activity, "NotReady")
    return result


def score_posts_plan(context: LtiContext, item: LineItem, questions: list[Question]) -> list[int]:
    """Bring each student's ScorePost to what the column should say; returns the ids to send.

    A student with no post yet and nothing released gets none (nothing to withdraw).
    """
    student_ids = list(Enrollment.objects.active().filter(course_id=context.course_id, role=Role.STUDENT)
                       .values_list("user_id", flat=True))
    linked = set(LtiIdentity.objects.filter(issuer=context.platform.issuer, user_id__in=student_ids)
                 .values_list("user_id", flat=True))
    existing = {p.student_id: p for p in ScorePost.objects.filter(line_item=item)}
    to_send = []
    now = timezone.now()
    for student_id, wanted in _wanted(questions, student_ids).items():
        post = existing.get(student_id)
        if post is None and not wanted.released:
            continue
        if post is not None and (post.released, post.score_given, post.score_maximum, post.grading_progress,
                                 post.activity_progress) == (wanted.released, wanted.score_given,
                                                             wanted.score_maximum, wanted.grading_progress,
                                                             wanted.activity_progress):
            if post.status == PassbackStatus.PENDING or (
                    post.status == PassbackStatus.NO_LMS_ACCOUNT and student_id in linked):
                to_send.append(post.pk)
            continue
        status = PassbackStatus.PENDING if student_id in linked else PassbackStatus.NO_LMS_ACCOUNT
        values = {"released": wanted.released, "score_given": wanted.score_given,
                  "score_maximum": wanted.score_maximum, "activity_progress": wanted.activity_progress,
                  "grading_progress": wanted.grading_progress, "status": status, "attempts": 0,
                  "last_error": "" if status == PassbackStatus.PENDING else
                  "The student has never opened reflect from this LMS, so the LMS doesn't know them here.",
                  "updated_at": now}
        post, _ = ScorePost.objects.update_or_create(line_item=item, student_id=student_id, defaults=values)
        if status == PassbackStatus.PENDING:
            to_send.append(post.pk)
    return to_send


def passback_question(question_id: int, attempt: int = 1) -> list[int]:
    """Plan the columns `question` feeds in every linked LMS course; returns the posts to send.

    A platform that refuses the column is retried with backoff, and its answer shown on the passback page.
    """
    question = Question.objects.select_related("module").filter(pk=question_id).first()
    if question is None:
        return []
    to_send = []
    for context in _contexts_for(question):
        _tag, _label, questions, _q, _m = _target(context, question)
        try:
            item = line_item_ensure(context, question, _connector(context))
        except (LtiException, LtiServiceException, OSError) as error:
            _column_refused(context, question, service_error(error), attempt)
            continue
        if context.last_error:
            LtiContext.objects.filter(pk=context.pk).update(last_error="")
        to_send += score_posts_plan(context, item, questions)
    return to_send


def _column_refused(context: LtiContext, question: Question, error: str, attempt: int) -> None:
    logger.warning("The LMS refused the grade column of %s in %s: %s", question, context, error)
    message = f"Grade column for {question} (attempt {attempt}): {error}"
    LtiContext.objects.filter(pk=context.pk).update(last_error=message[:500])
    if attempt < settings.LTI_PASSBACK_MAX_ATTEMPTS:
        delay = timedelta(seconds=settings.LTI_PASSBACK_RETRY_SECONDS * 2 ** (attempt - 1))
        passback_question_send.using(run_after=timezone.now() + delay).enqueue(
            question_id=question.pk, attempt=attempt + 1)


def score_post_send(post_id: int, service: AssignmentsGradesService | None = None) -> str:
    """Post one student's column to the LMS unless it has it; returns the status afterwards."""
    with transaction.atomic():
        post = (ScorePost.objects.select_for_update(of=("self",))
                .select_related("line_item__context__platform").filter(pk=post_id).first())
        if post is None or post.status not in SENDABLE:
            return post.status if post else "missing"
        context = post.line_item.context
        sub = (LtiIdentity.objects.filter(issuer=context.platform.issuer, user_id=post.student_id)
               .values_list("sub", flat=True).first())
        if sub is None:
            post.status = PassbackStatus.NO_LMS_ACCOUNT
            post.save(update_fields=["status"])
            return post.status
        now = timezone.now()
        grade = (LtiGrade().set_score_maximum(float(post.score_maximum)).set_user_id(sub)
                 .set_activity_progress(post.activity_progress).set_grading_progress(post.grading_progress)
                 .set_timestamp(now.isoformat(timespec="milliseconds")))
        if post.score_given is not None:
            grade.set_score_given(float(post.score_given))
        service = service or _connector(context)
        post.attempts += 1
        try:
            service.put_grade(grade, LtiLineItem({"id": post.line_item.url}))
        except (LtiException, LtiServiceException, OSError) as error:
            post.last_error = service_error(error)[:500]
            if post.attempts >= settings.LTI_PASSBACK_MAX_ATTEMPTS:
                post.status = PassbackStatus.GAVE_UP
            else:
                post.status = PassbackStatus.FAILED
                delay = timedelta(seconds=settings.LTI_PASSBACK_RETRY_SECONDS * 2 ** (post.attempts - 1))
                # Queued in this transaction: the failure and its retry commit together.
                score_posts_send.using(run_after=now + delay).enqueue(post_ids=[post.pk])
        else:
            post.status, post.last_error, post.sent_at, post.timestamp = PassbackStatus.SENT, "", now, now
        post.updated_at = now
        post.save(update_fields=["status", "attempts", "last_error", "sent_at", "timestamp", "updated_at"])
        return post.status


def score_post_resend(*, post: ScorePost) -> None:
    """The instructor's "send again": the post is tried afresh, with its attempts counted from zero."""
    ScorePost.objects.filter(pk=post.pk).update(status=PassbackStatus.PENDING, attempts=0, updated_at=timezone.now())
    transaction.on_commit(lambda: score_posts_send.enqueue(post_ids=[post.pk]))


def release_event_saved(sender, instance: ReleaseEvent, created: bool, **kwargs) -> None:
    """post_save of ReleaseEvent: once the release commits, queue its passback if the course is in an LMS."""
    if not created:
        return
    question_id = instance.question_id
    # One query, so a course outside any LMS queues nothing and its release commits exactly as before.
    if LtiContext.objects.filter(course__modules__questions=question_id).exclude(lineitems_url="").exists():
        transaction.on_commit(lambda: passback_question_send.enqueue(question_id=question_id))


def grade_saved(sender, instance, **kwargs) -> None:
    """post_save of Grade: a changed grade of a released question (a regrade) goes to the LMS too.

    Checked after the commit, so saving a grade costs nothing more; the passback posts only what changed.
    """
    response_id = instance.response_id

    def _enqueue() -> None:
        question_id = (Question.objects.filter(responses__pk=response_id, release__released=True,
                                               module__course__lti_contexts__isnull=False)
                       .exclude(module__course__lti_contexts__lineitems_url="").values_list("pk", flat=True).first())
        if question_id is not None:
            passback_question_send.enqueue(question_id=question_id)

    transaction.on_commit(_enqueue)


def identity_saved(sender, instance: LtiIdentity, created: bool, **kwargs) -> None:
    """post_save of LtiIdentity: a student's first launch sends the scores that waited for their LMS identity."""
    if not created:
        return
    user_id = instance.user_id

    def _enqueue() -> None:
        waiting = list(ScorePost.objects.filter(student_id=user_id, status=PassbackStatus.NO_LMS_ACCOUNT)
                       .values_list("pk", flat=True))
        if waiting:
            score_posts_send.enqueue(post_ids=waiting)

    transaction.on_commit(_enqueue)


def _send_all(post_ids: list[int]) -> list[str]:
    services: dict[int, AssignmentsGradesService] = {}
    statuses = []
    contexts = dict(ScorePost.objects.filter(pk__in=post_ids).values_list("pk", "line_item__context_id"))
    for post_id in post_ids:
        context_id = contexts.get(post_id)
        if context_id is not None and context_id not in services:
            services[context_id] = _connector(LtiContext.objects.select_related("platform").get(pk=context_id))
        statuses.append(score_post_send(post_id, services.get(context_id)))
    return statuses


@task()
def passback_question_send(*, question_id: int, attempt: int = 1) -> list[str]:
    """Queued after a release or withdrawal commits: plan the question's columns and post what changed."""
    return _send_all(passback_question(question_id, attempt))


@task()
def score_posts_send(*, post_ids: list[int]) -> list[str]:
    """Post these scores (a retry, or an instructor's resend); each is skipped if the LMS has it already."""
    return _send_all(post_ids)


def passback_rows(course_id: int):
    """The passback page's rows: every ScorePost of the course's LMS columns, student and column loaded."""
    return (ScorePost.objects.filter(line_item__context__course_id=course_id)
            .select_related("student", "line_item")
            .order_by("student__last_name", "student__first_name", "student__username", "line_item__label"))


def passback_totals(course_id: int) -> dict[str, int]:
    counts = {status: 0 for status in PassbackStatus.values}
    counts.update(ScorePost.objects.filter(line_item__context__course_id=course_id).values("status")
                  .annotate(n=Count("pk")).values_list("status", "n"))
    return counts
