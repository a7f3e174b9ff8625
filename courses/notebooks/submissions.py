"""Students' notebooks collected by nbgrader, read back in as their submitted answers.

nbgrader keeps `submitted/<student>/<assignment>/<notebook>.ipynb` and, beside the notebook,
`timestamp.txt`. Each graded response cell's text becomes that student's answer to the
question with the same grade_id, submitted at nbgrader's timestamp through the ordinary
submit service, so the late rule, the word limits and the revision history are the ones a
submission in reflect gets. Everything runs in one transaction; a dry run rolls it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction

from courses.models import Enrollment, Module, Question, Response, Role
from courses.notebooks.importer import module_for_file
from courses.notebooks.parse import NotebookError, answer_in, max_bytes, read_notebook
from courses.services import ResponseError, WordCountOutOfRange, response_submit
from courses.wordcount import count_words

TIMESTAMP_MAX = 200


@dataclass
class SubmissionLine:
    """What happened (or would) to one student's answer to one question."""

    student: str
    grade_id: str
    outcome: str  # submitted, replaced, unchanged, kept, draft, empty, refused
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.student} {self.grade_id}: {self.outcome}" + (f" ({self.detail})" if self.detail else "")


@dataclass
class SubmissionsReport:
    lines: list[SubmissionLine] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    dry_run: bool = False

    def count(self, *outcomes: str) -> int:
        return sum(1 for line in self.lines if line.outcome in outcomes)


def submitted_folder(path: Path) -> Path:
    """nbgrader's submitted/ folder: PATH itself, or the `submitted` folder inside a course folder."""
    return path / "submitted" if (path / "submitted").is_dir() else path


def _assignment_folder(student_folder: Path, module: Module) -> Path | None:
    """The student's folder of this module's assignment: named as its slug or as a numbered folder of it."""
    for folder in sorted(student_folder.iterdir()):
        if folder.is_dir() and (folder.name == module.slug
                                or module_for_file(f"{folder.name}/x.ipynb") == (module.number, module.slug)):
            return folder
    return None


def read_timestamp(folder: Path) -> datetime | None:
    """nbgrader's `timestamp.txt` (`2026-03-02 09:15:00.123456 UTC`, or ISO with an offset), in UTC."""
    path = folder / "timestamp.txt"
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8", errors="replace")[:TIMESTAMP_MAX].strip()
    if text.upper().endswith(" UTC"):
        text = text[:-4].strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def submissions_import(*, module: Module, path: Path, dry_run: bool = False, replace: bool = False,
                       assignment: str | None = None) -> SubmissionsReport:
    """Submit each collected answer as its student's answer; with `dry_run` report the same and write nothing."""
    report = SubmissionsReport(dry_run=dry_run)
    root = submitted_folder(Path(path))
    if not root.is_dir():
        report.problems.append(f"{path}: no such folder")
        return report
    questions = {q.grade_id: q for q in module.questions.all()}
    students = {e.user.username: e.user for e in Enrollment.objects.active().filter(
        course_id=module.course_id, role=Role.STUDENT).select_related("user")}
    with transaction.atomic():
        for student_folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            username = student_folder.name
            student = students.get(username)
            if student is None:
                known = get_user_model().objects.filter(username=username).exists()
                report.problems.append(f"{username}: {'not a student of this course' if known else 'unknown user'}"
                                       "; their notebooks were not read")
                continue
            folder = (student_folder / assignment if assignment else _assignment_folder(student_folder, module))
            if folder is None or not folder.is_dir():
                report.problems.append(f"{username}: no submitted folder for {assignment or module.slug}")
                continue
            at = read_timestamp(folder)
            if at is None:
                report.problems.append(f"{username}: {folder / 'timestamp.txt'} is missing or unreadable, so the "
                                       "submission time is unknown; their answers were not imported")
                continue
            for notebook_path in sorted(folder.glob("*.ipynb")):
                _import_notebook(report, student, notebook_path, questions, at, replace)
        if dry_run:
            transaction.set_rollback(True)
    return report


def _import_notebook(report: SubmissionsReport, student, notebook_path: Path, questions: dict[str, Question],
                     at: datetime, replace: bool) -> None:
    username = student.username
    with notebook_path.open("rb") as handle:
        data = handle.read(max_bytes() + 1)
    try:
        notebook = read_notebook(str(notebook_path), data)
    except NotebookError as error:
        report.problems.extend(f"{username}: {problem}" for problem in error.problems)
        return
    for cell in notebook.cells:
        meta = (cell.get("metadata") or {}).get("nbgrader")
        if not isinstance(meta, dict) or not (meta.get("grade") is True and meta.get("solution") is True):
            continue
        grade_id = meta.get("grade_id")
        if not isinstance(grade_id, str):
            continue
        question = questions.get(grade_id)
        if question is None:
            report.problems.append(f"{username} {grade_id[:100]}: no question with this grade_id in the module; "
                                   "its answer was not imported")
            continue
        text = answer_in(cell.get("cell_type", ""), cell.get("source", ""), question.guidance)
        report.lines.append(_submit(student, question, text, at, replace))


def _submit(student, question: Question, text: str, at: datetime, replace: bool) -> SubmissionLine:
    line = SubmissionLine(student.username, question.grade_id, "")
    if not text:
        line.outcome, line.detail = "empty", "the cell holds no answer"
        return line
    existing = Response.objects.filter(student=student, question=question).first()
    if existing is not None and existing.is_submitted and existing.submitted_text == text:
        line.outcome = "unchanged"
        return line
    if existing is not None and (existing.is_submitted or existing.text.strip()) and not replace:
        line.outcome, line.detail = "kept", "an answer exists in reflect; --replace overwrites it, keeping its history"
        return line
    try:
        with transaction.atomic():
            try:
                response = response_submit(student=student, question=question, text=text,
                                           base_version=existing.version if existing else 0, now=at).response
            except WordCountOutOfRange:
                # The submit service kept the text as a draft, as it does for a student in reflect.
                line.outcome = "draft"
                line.detail = (f"{count_words(text)} words, outside {question.min_words}-{question.max_words}: "
                               "kept as a draft, not submitted")
                return line
    except ResponseError as error:  # not open yet, or after a deadline that refuses late work: nothing written
        line.outcome, line.detail = "refused", error.message
        return line
    line.outcome = "replaced" if existing is not None else "submitted"
    if response.is_late:
        line.detail = f"late by {response.late_seconds} s"
    return line
