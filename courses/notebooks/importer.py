"""Plan and apply a notebook import: which questions to create, update or leave, and why not.

`grade_id` is the key within a module. A plan reads the database and writes
nothing; `notebooks_import` plans and, when nothing is wrong and it is not a dry
run, applies the plan in one transaction, so any error leaves the course as it was.
A plan also runs the model fields' own validation on every row it would write, so a
preview that shows no error is one the database accepts.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.db.models import Count, F
from django.utils.text import slugify

from courses.models import Course, Module, Question, RubricBand, RubricCriterion
from courses.notebooks.parse import (
    MODULE_NUMBER_MAX,
    TITLE_MAX,
    BandDraft,
    CriterionDraft,
    ParsedNotebook,
    Problem,
    QuestionDraft,
    parse_notebook,
    to_int,
)
from courses.questions import question_has_grades
from courses.rubric import number as number_text
from courses.signals import rubric_changed, rubric_changing

QUESTION_FIELDS = ("title", "context", "prompt", "guidance", "expected_response", "mark_scheme", "rubric_kind",
                   "rubric_notes", "min_words", "max_words", "points")
# A module's text that a notebook states; a file that states none leaves what reflect holds alone.
MODULE_TEXT_FIELDS = ("reflection_intro", "reflection_summary")
_FILE_STEM = re.compile(r"(?:(?P<number>\d++)[ _.-]++)?(?P<name>.++)")
_NUMBERED_FOLDER = re.compile(r"(?P<number>\d++)[ _.-]++(?P<name>.++)")
_RENUMBER_OFFSET = 1_000_000
SLUG_MAX = Module._meta.get_field("slug").max_length


class PlanChanged(Exception):
    """The course changed between the preview and the confirmation; `plan` is what an import would do now."""

    def __init__(self, plan: ImportPlan):
        super().__init__("The course changed since the preview.")
        self.plan = plan


class ImportRefused(Exception):
    """The import was refused; `plan` holds every error, per file."""

    def __init__(self, plan: ImportPlan):
        super().__init__("\n".join(str(problem) for problem in plan.errors))
        self.plan = plan


@dataclass(frozen=True)
class NotebookFile:
    """A notebook's path (or upload name) and bytes; `module_title` comes from a module.yaml beside it."""

    name: str
    data: bytes
    module_title: str = ""


@dataclass
class QuestionChange:
    """What an import does to one question: create, update (with the fields that change) or nothing."""

    draft: QuestionDraft
    action: str
    changed: list[str] = field(default_factory=list)
    question: Question | None = None
    flag_grades: bool = False

    @property
    def rubric_changed(self) -> bool:
        return bool({"points", "bands", "criteria", "rubric_kind"} & set(self.changed))


@dataclass
class FileReport:
    name: str
    module_slug: str = ""
    module_number: int = 0
    module_title: str = ""
    module_exists: bool = False
    changes: list[QuestionChange] = field(default_factory=list)
    deletes: list[Question] = field(default_factory=list)
    kept: list[Question] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    skipped: str = ""
    module_text: dict[str, str] = field(default_factory=dict)

    def _of(self, action: str) -> list[QuestionChange]:
        return [change for change in self.changes if change.action == action]

    @property
    def creates(self) -> list[QuestionChange]:
        return self._of("create")

    @property
    def updates(self) -> list[QuestionChange]:
        return self._of("update")

    @property
    def unchanged(self) -> list[QuestionChange]:
        return self._of("unchanged")

    def summary(self) -> str:
        if self.skipped:
            return f"{self.name}: skipped, {self.skipped}"
        module = f"module {self.module_number:02d} {self.module_slug}" + ("" if self.module_exists else " (new)")
        counts = (f"{len(self.creates)} to create, {len(self.updates)} to update, {len(self.unchanged)} unchanged"
                  + (f", {len(self.deletes)} to delete" if self.deletes else ""))
        if self.module_text:
            counts += ", " + " and ".join(name.replace("_", " ") for name in self.module_text) + " to set"
        return f"{self.name} → {module}: {counts}" if self.module_slug else self.name


@dataclass
class ImportPlan:
    course: Course
    files: list[FileReport]
    force: bool = False
    applied: bool = False

    @property
    def errors(self) -> list[Problem]:
        return [problem for report in self.files for problem in report.errors]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for report in self.files for problem in report.warnings]

    def totals(self) -> dict[str, int]:
        return {
            "create": sum(len(r.creates) for r in self.files),
            "update": sum(len(r.updates) for r in self.files),
            "unchanged": sum(len(r.unchanged) for r in self.files),
            "delete": sum(len(r.deletes) for r in self.files),
        }

    def digest(self) -> str:
        """A fingerprint of what the plan would do, to notice the course changing between preview and confirm."""
        parts = []
        for report in self.files:
            parts.append(f"{report.name}|{report.module_slug}|{report.module_exists}|{report.skipped}|"
                         f"{sorted(report.module_text)}")
            parts += [f"{c.draft.grade_id}:{c.action}:{','.join(c.changed)}:{c.flag_grades}" for c in report.changes]
            parts += [f"delete:{q.pk}" for q in report.deletes] + [f"keep:{q.pk}" for q in report.kept]
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def module_for_file(name: str) -> tuple[int | None, str]:
    """(number, slug) a path implies: a numbered folder first (`03_activations/activations_dev.py` → (3,
    "activations")), else the file name (`02_activations.py` → (2, "activations"))."""
    parts = name.replace("\\", "/").split("/")
    if len(parts) > 1 and (folder := _NUMBERED_FOLDER.fullmatch(parts[-2])):
        return to_int(folder["number"]), slugify(folder["name"].replace("_", "-"))
    stem = re.sub(r"\.(ipynb|py)$", "", parts[-1], flags=re.I)
    match = _FILE_STEM.fullmatch(stem)
    number = to_int(match["number"]) if match and match["number"] else None
    return number, slugify((match["name"] if match else stem).replace("_", "-"))


def notebooks_import(
    *,
    course: Course,
    files: Iterable[NotebookFile],
    module_slug: str | None = None,
    force: bool = False,
    actor=None,
    dry_run: bool = False,
    expected_digest: str | None = None,
    progress: Callable[[FileReport, int, int], None] | None = None,
) -> ImportPlan:
    """Plan the import of `files` into `course` and, unless `dry_run`, apply it atomically; raises ImportRefused.

    With `expected_digest` (from a preview) the import is applied only if the plan is still the one previewed.
    """
    files = list(files)
    with transaction.atomic():
        plan = _plan(course, files, module_slug, force, actor, progress)
        if plan.errors:
            raise ImportRefused(plan)
        if dry_run:
            return plan
        if expected_digest is not None and plan.digest() != expected_digest:
            raise PlanChanged(plan)
        try:
            _apply(plan, actor)
        except (IntegrityError, DataError) as error:
            # Not expected: the plan validated every row. Kept so that a gap still answers with a refusal.
            transaction.set_rollback(True)
            plan.files[0].errors.append(Problem(plan.files[0].name, f"the database refused the import: {error}"))
            raise ImportRefused(plan) from None
        plan.applied = True
        return plan


def _plan(course, files, module_slug, force, actor, progress) -> ImportPlan:
    modules = {m.slug: m for m in Module.objects.filter(course=course)}
    numbers_taken = {m.number: (m.slug, "") for m in modules.values()}
    reports: list[FileReport] = []
    placed: list[tuple[FileReport, ParsedNotebook, str, int | None, str]] = []
    for position, notebook_file in enumerate(files, start=1):
        parsed = parse_notebook(notebook_file.name, notebook_file.data)
        report = FileReport(notebook_file.name, warnings=list(parsed.warnings), errors=list(parsed.errors),
                            skipped=parsed.skipped)
        reports.append(report)
        number, slug = module_for_file(notebook_file.name)
        slug = module_slug or slug
        if parsed.skipped:
            pass  # nothing to place: it neither claims a module number nor stops the others
        elif module_slug and slugify(module_slug) != module_slug:
            report.errors.append(Problem(notebook_file.name, f"{module_slug!r} is not a module slug (lower-case "
                                                             "letters, digits and hyphens)"))
        elif not slug:
            report.errors.append(Problem(notebook_file.name, "the file name gives no module; pass --module"))
        elif len(slug) > SLUG_MAX:
            report.errors.append(Problem(notebook_file.name, f"the module slug {slug[:SLUG_MAX]!r}… is {len(slug)} "
                                                             f"characters; the limit is {SLUG_MAX}: rename the file "
                                                             "or pass --module"))
        elif number is not None and number > MODULE_NUMBER_MAX:
            report.errors.append(Problem(notebook_file.name, f"the file name gives module number {number_text(number)}"
                                                             f"; module numbers go up to {MODULE_NUMBER_MAX}"))
        else:
            placed.append((report, parsed, slug, number, notebook_file.module_title))
        if progress:
            progress(report, position, len(files))
    if reports and all(report.skipped for report in reports):
        reports[0].errors.append(Problem(reports[0].name, "no reflection questions found: no graded reflection "
                                                          "cells (nbgrader grade and solution) in any file"))
    # Numbered names claim their module numbers first; unnumbered new modules then take the next free ones.
    placed.sort(key=lambda entry: entry[3] is None)
    parsed_by_module: dict[str, list[tuple[FileReport, ParsedNotebook]]] = {}
    for report, parsed, slug, number, yaml_title in placed:
        _place_module(report, slug, number, modules, numbers_taken)
        if not report.module_exists and (yaml_title or parsed.title):
            report.module_title = (yaml_title or parsed.title)[:TITLE_MAX]
        parsed_by_module.setdefault(slug, []).append((report, parsed))
    for slug, entries in parsed_by_module.items():
        entries = sorted(entries, key=lambda entry: reports.index(entry[0]))
        _plan_module_text(modules.get(slug), entries)
        _plan_module(modules.get(slug), entries, force, actor)
    for report in reports:
        _validate_rows(report)
    return ImportPlan(course=course, files=reports, force=force)


def _plan_module_text(module: Module | None, entries: list[tuple[FileReport, ParsedNotebook]]) -> None:
    """The reflection intro and summary the files give the module: the first file stating each wins."""
    first = entries[0][0]
    for name in MODULE_TEXT_FIELDS:
        stated = next((getattr(parsed, name) for _, parsed in entries if getattr(parsed, name)), "")
        if stated and (module is None or getattr(module, name) != stated):
            first.module_text[name] = stated


def _validate_rows(report: FileReport) -> None:
    """Run each model's field validation on the rows the plan would write, so the preview refuses what the database
    would (lengths, ranges); the parser's own checks give friendlier messages first, so normally this finds nothing."""
    rows: list[tuple[object, list[str], int | None, str]] = []
    if report.module_slug and not report.module_exists and not report.errors:
        module = Module(number=report.module_number, slug=report.module_slug, title=report.module_title,
                        **report.module_text)
        rows.append((module, ["course"], None, ""))
    for change in report.changes:
        if change.action == "unchanged":
            continue
        draft = change.draft
        question = Question(number=draft.number, grade_id=draft.grade_id,
                            **{name: getattr(draft, name) for name in QUESTION_FIELDS})
        rows.append((question, ["module"], draft.cell, draft.grade_id))
        rows += [(band, ["question"], draft.cell, draft.grade_id) for band in _bands(question, draft.bands)]
        rows += [(row, ["question"], draft.cell, draft.grade_id) for row in _criteria(question, draft.criteria)]
    for row, exclude, cell, grade_id in rows:
        try:
            row.clean_fields(exclude=exclude)
        except ValidationError as error:
            for field_name, messages in error.message_dict.items():
                report.errors.append(Problem(report.name, f"{type(row)._meta.verbose_name} {field_name}: "
                                                          f"{' '.join(messages)}", cell, grade_id))


def _place_module(report: FileReport, slug: str, number: int | None, modules: dict, numbers_taken: dict) -> None:
    """Give the file its module; `numbers_taken` maps number → (slug, file that claimed it, "" if in the course)."""
    report.module_slug = slug
    existing = modules.get(slug)
    if existing is not None:
        report.module_exists, report.module_number, report.module_title = True, existing.number, existing.title
        return
    if number is None:
        planned = [n for n, (planned_slug, _) in numbers_taken.items() if planned_slug == slug]
        number = planned[0] if planned else max(numbers_taken, default=0) + 1
    elif numbers_taken.get(number, (slug, ""))[0] != slug:
        report.module_number = number
        other_slug, other_file = numbers_taken[number]
        if other_file:
            reason = (f"module number {number} is claimed by both {other_file} ({other_slug!r}) and {report.name} "
                      f"({slug!r}); renumber one folder or file")
        else:
            reason = f"module number {number} is already used by {other_slug!r}; rename the file or pass --module"
        report.errors.append(Problem(report.name, reason))
        return
    numbers_taken.setdefault(number, (slug, report.name))
    report.module_number, report.module_title = number, slug.replace("-", " ").title()


def _plan_module(module: Module | None, entries: list[tuple[FileReport, ParsedNotebook]], force, actor) -> None:
    existing: dict[str, Question] = {}
    if module is not None:
        questions = (module.questions.annotate(response_count=Count("responses"))
                     .prefetch_related("bands", "criteria").order_by("number"))
        existing = {q.grade_id: q for q in questions}
    seen: dict[str, str] = {}
    number = 0
    for report, parsed in entries:
        for draft in parsed.questions:
            if draft.grade_id in seen:
                report.errors.append(Problem(report.name, f"grade_id is also in {seen[draft.grade_id]}, "
                                                          "which imports into the same module", draft.cell,
                                             draft.grade_id))
                continue
            seen[draft.grade_id] = report.name
            number += 1
            draft.number = number
            report.changes.append(_change(report, draft, existing.get(draft.grade_id), force, actor))
    first = entries[0][0]
    for grade_id, question in existing.items():
        if grade_id in seen:
            continue
        if question.response_count:
            first.kept.append(question)
            first.warnings.append(Problem(first.name, f"{question} is not in the file but has "
                                                      f"{question.response_count} responses, so it is kept",
                                          grade_id=grade_id))
        else:
            first.deletes.append(question)


def _change(report: FileReport, draft: QuestionDraft, question: Question | None, force, actor) -> QuestionChange:
    if question is None:
        return QuestionChange(draft, "create")
    changed = [name for name in QUESTION_FIELDS if getattr(question, name) != getattr(draft, name)]
    if question.number != draft.number:
        changed.append("number")
    current = sorted((BandDraft(b.label, b.min_points, b.max_points, b.description) for b in question.bands.all()),
                     key=_best_first)
    wanted = sorted(draft.bands, key=_best_first)
    if [b.spec() for b in current] != [b.spec() for b in wanted]:
        changed.append("bands")
    elif current != wanted:
        # Criteria text alone does not change how any grade was scored, so it needs no force.
        changed.append("band descriptions")
    criteria = [CriterionDraft(c.description, c.max_points, c.levels) for c in question.criteria.all()]
    if [c.max_points for c in criteria] != [c.max_points for c in draft.criteria]:
        changed.append("criteria")
    elif criteria != list(draft.criteria):
        changed.append("criteria descriptions")
    change = QuestionChange(draft, "update" if changed else "unchanged", changed, question)
    if change.rubric_changed and question_has_grades(question):
        what = " and ".join(part.replace("_", " ") for part in ("points", "bands", "criteria", "rubric_kind")
                            if part in changed)
        if not force:
            report.errors.append(Problem(report.name, f"changes the {what} of a question that already has grades; "
                                                      "import with force to apply it and flag those grades for review",
                                         draft.cell, draft.grade_id))
        elif actor is None:
            report.errors.append(Problem(report.name, "flagging grades for review needs the person importing "
                                                      "(--actor USERNAME)", draft.cell, draft.grade_id))
        else:
            change.flag_grades = True
            report.warnings.append(Problem(report.name, f"changes the {what} of a graded question: its grades "
                                                        "will be flagged for review", draft.cell, draft.grade_id))
    return change


def _apply(plan: ImportPlan, actor) -> None:
    modules = {m.slug: m for m in Module.objects.filter(course=plan.course)}
    handled: set[str] = set()
    for report in plan.files:
        if report.skipped:
            continue
        module = modules.get(report.module_slug)
        if module is None:
            # A new module is a draft: publishing it to students is a separate step, under Manage → Modules.
            module = Module.objects.create(course=plan.course, number=report.module_number, slug=report.module_slug,
                                           title=report.module_title, is_published=False, **report.module_text)
            modules[module.slug] = module
        elif report.module_text:
            Module.objects.filter(pk=module.pk).update(**report.module_text)
        if report.deletes:
            Question.objects.filter(pk__in=[q.pk for q in report.deletes]).delete()
        if module.slug not in handled:
            handled.add(module.slug)
            _move_aside(module, plan)
        for change in report.changes:
            if change.action == "create":
                _create(module, change.draft)
            elif change.action == "update":
                _update(change, actor, report.name)
    for report in plan.files:
        in_files = sum(len(r.changes) for r in plan.files if r.module_slug == report.module_slug)
        for offset, question in enumerate(report.kept, start=1):
            Question.objects.filter(pk=question.pk).update(number=in_files + offset)


def _move_aside(module: Module, plan: ImportPlan) -> None:
    """Shift every renumbered question out of the way first, so the unique (module, number) never clashes."""
    moving = [c.question.pk for r in plan.files if r.module_slug == module.slug for c in r.changes
              if c.question is not None and "number" in c.changed]
    moving += [q.pk for r in plan.files if r.module_slug == module.slug for q in r.kept]
    if moving:
        Question.objects.filter(pk__in=moving).update(number=F("number") + _RENUMBER_OFFSET)


def _create(module: Module, draft: QuestionDraft) -> Question:
    question = Question.objects.create(module=module, number=draft.number, grade_id=draft.grade_id,
                                       **{name: getattr(draft, name) for name in QUESTION_FIELDS})
    RubricBand.objects.bulk_create(_bands(question, draft.bands))
    RubricCriterion.objects.bulk_create(_criteria(question, draft.criteria))
    return question


def _update(change: QuestionChange, actor, file_name: str) -> None:
    question, draft = change.question, change.draft
    if change.flag_grades:
        # Grading flags them before the bands change, so the audit keeps the band each grade was given in.
        rubric_changing.send(sender=Question, question=question, actor=actor,
                             reason=f"Rubric changed by importing {file_name}: {', '.join(change.changed)}.")
    for name in (*QUESTION_FIELDS, "number"):
        setattr(question, name, getattr(draft, name))
    question.save(update_fields=[*QUESTION_FIELDS, "number"])
    if "bands" in change.changed or "band descriptions" in change.changed:
        bands_replace(question=question, bands=draft.bands)
    if "criteria" in change.changed or "criteria descriptions" in change.changed:
        # Grades keep their per-criterion scores by position; the grades were flagged above when points moved.
        RubricCriterion.objects.filter(question=question).delete()
        RubricCriterion.objects.bulk_create(_criteria(question, draft.criteria))


def _criteria(question: Question, criteria: Iterable[CriterionDraft]) -> list[RubricCriterion]:
    return [RubricCriterion(question=question, position=i, description=c.description, max_points=c.max_points,
                            levels=c.levels) for i, c in enumerate(criteria)]


def _best_first(band: BandDraft) -> tuple[int, int]:
    return (-band.min_points, -band.max_points)


def _bands(question: Question, bands: Iterable[BandDraft]) -> list[RubricBand]:
    ordered = sorted(bands, key=_best_first)
    return [RubricBand(question=question, position=i, label=b.label, min_points=b.min_points, max_points=b.max_points,
                       description=b.description) for i, b in enumerate(ordered)]


@transaction.atomic
def bands_replace(*, question: Question, bands: Iterable[BandDraft]) -> None:
    """Give `question` exactly these bands; every grade ends on the band that covers its score.

    Rows that grades point at are reused (same label first) rather than deleted, so no
    grade is ever without a band; a grade whose score its row no longer covers moves to
    the band that does. Callers flag such grades for review first.
    """
    wanted = _bands(question, bands)
    current = list(RubricBand.objects.filter(question=question).annotate(grade_count=Count("grades")))
    graded = [band for band in current if band.grade_count]
    RubricBand.objects.filter(pk__in=[b.pk for b in current if not b.grade_count]).delete()
    if not graded:
        RubricBand.objects.bulk_create(wanted)
        return
    by_label = {band.label.casefold(): band for band in graded}
    reused: dict[int, RubricBand] = {}
    for i, new in enumerate(wanted):
        if (old := by_label.pop(new.label.casefold(), None)) is not None:
            reused[i] = old
    leftovers = list(by_label.values())
    free = [i for i in range(len(wanted)) if i not in reused]
    while leftovers and free:
        reused[free.pop(0)] = leftovers.pop(0)
    surviving = [*reused.values(), *leftovers]
    for old in surviving:
        old.label, old.position = f"~moving~{old.pk}", _RENUMBER_OFFSET + old.pk
    RubricBand.objects.bulk_update(surviving, ["label", "position"])
    for i, old in reused.items():
        new = wanted[i]
        old.label, old.position, old.min_points, old.max_points, old.description = (
            new.label, new.position, new.min_points, new.max_points, new.description)
    RubricBand.objects.bulk_update(reused.values(), ["label", "position", "min_points", "max_points", "description"])
    final = [*reused.values(), *RubricBand.objects.bulk_create(new for i, new in enumerate(wanted) if i not in reused)]
    gone = {band.pk for band in leftovers}
    # Grading moves each grade whose band is going, or no longer covers its score, before the delete.
    rubric_changed.send(sender=Question, question=question, actor=None, reason="", bands=final, gone=gone)
    RubricBand.objects.filter(pk__in=gone).delete()
