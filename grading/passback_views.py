"""The passback page: per student and LMS grade column, whether the LMS has the current score, and resend.

Staff of the course read it; only instructors resend (a TA's POST is a 403, anyone else a 404).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from courses.lti.models import LtiContext
from grading import selectors
from grading.models import ScorePost
from grading.passback import passback_rows, passback_totals, score_post_resend

PAGE_SIZE = 100


@login_required
@require_GET
def passback(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Every score meant for the LMS and what became of it."""
    course, role = selectors.course_for_staff(request.user, course_slug)
    page = Paginator(passback_rows(course.pk), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "grading/passback.html", {
        "course": course, "page": page, "totals": passback_totals(course.pk),
        "can_resend": selectors.is_instructor(role),
        "contexts": LtiContext.objects.filter(course=course).select_related("platform").order_by("pk"),
    })


@login_required
@require_POST
def passback_resend(request: HttpRequest, course_slug: str, pk: int) -> HttpResponse:
    """Send one student's score to the LMS again (instructors)."""
    course, role = selectors.course_for_staff(request.user, course_slug)
    if not selectors.is_instructor(role):
        raise PermissionDenied("Only instructors resend scores to the LMS.")
    post = get_object_or_404(ScorePost.objects.select_related("student"), pk=pk,
                             line_item__context__course=course)
    score_post_resend(post=post)
    messages.success(request, f"Sending {post.student.get_full_name() or post.student.username}'s score again.")
    return redirect("grading:passback", course_slug=course.slug)
