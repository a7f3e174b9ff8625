"""Student-facing pages: dashboard, course, module, question, response."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """The courses the user is enrolled in."""
    return render(request, "courses/dashboard.html", {})
