"""An upload's preview, carried signed to its confirm step, so app servers keep nothing between the two.

The notebook import and the roster import both preview what they would write, then post the
same data back to confirm. The data travels in a form field, signed (and compressed) with the
site's key, tied to the person and course, and valid for an hour.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.http import HttpRequest

from courses.models import Course

MAX_AGE_S = 60 * 60  # how long a preview stays confirmable
FORM_OVERHEAD = 16_384  # the rest of the confirm form, besides the payload


class PreviewRefused(Exception):
    """The posted preview can't be confirmed; the message says what to do ("…; upload the file again")."""


def preview_sign(request: HttpRequest, course: Course, salt: str, data: dict) -> str:
    return signing.dumps({**data, "course": course.pk, "user": request.user.pk}, salt=salt, compress=True)


def preview_fits(payload: str) -> bool:
    """Whether the signed preview can travel back within the request size limit."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return limit is None or len(payload) <= limit - FORM_OVERHEAD


def preview_read(request: HttpRequest, course: Course, salt: str, what: str = "file") -> dict:
    """The data `preview_sign` signed for this person and course, or PreviewRefused."""
    again = f"upload the {what} again"
    try:
        data = signing.loads(request.POST.get("payload", ""), salt=salt, max_age=MAX_AGE_S)
    except signing.SignatureExpired as error:
        raise PreviewRefused(f"That preview is more than an hour old; {again}.") from error
    except signing.BadSignature as error:
        raise PreviewRefused(f"That preview could not be verified; {again}.") from error
    if data.get("course") != course.pk or data.get("user") != request.user.pk:
        raise PreviewRefused(f"That preview belongs to another course or person; {again}.")
    return data
