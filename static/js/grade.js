// Keyboard grading: digits pick a band (its top score preselected), -/+ move the score inside the band,
// s or Enter saves and opens the next ungraded response. Keys never fire while typing.
(function () {
  "use strict";
  const form = document.getElementById("grade-form");
  if (!form) return;
  const feedback = document.getElementById("id_feedback");
  const saveNext = document.getElementById("save-next");
  const bandInputs = Array.from(form.querySelectorAll("input[name=band]"));
  const scoreInputs = Array.from(form.querySelectorAll("input[name=score]"));

  function scoresOf(bandId) {
    return scoreInputs.filter((input) => input.dataset.band === bandId);
  }

  function showBand(bandId) {
    form.querySelectorAll(".band-option").forEach((box) => box.classList.toggle("chosen", box.dataset.band === bandId));
    // Only the chosen band's scores can be picked, so the form can't post a score outside it.
    scoreInputs.forEach((input) => { input.disabled = input.dataset.band !== bandId; });
  }

  function chooseBand(input, keepScore) {
    input.checked = true;
    showBand(input.value);
    const scores = scoresOf(input.value);
    if (!keepScore || !scores.some((s) => s.checked)) {
      scoreInputs.forEach((s) => { s.checked = false; });
      const top = scores.find((s) => s.value === input.dataset.top) || scores[scores.length - 1];
      if (top) top.checked = true;
    }
  }

  function moveScore(step) {
    const band = bandInputs.find((b) => b.checked);
    if (!band) return;
    const scores = scoresOf(band.value);
    const at = scores.findIndex((s) => s.checked);
    const next = scores[Math.min(scores.length - 1, Math.max(0, (at < 0 ? scores.length - 1 : at) + step))];
    if (next) next.checked = true;
  }

  function isTyping(target) {
    return Boolean(target.closest && target.closest("textarea, select, [contenteditable], input:not([type=radio]):not([type=checkbox])"));
  }

  bandInputs.forEach((input) => input.addEventListener("change", () => chooseBand(input, false)));
  scoreInputs.forEach((input) => input.addEventListener("change", () => {
    const band = bandInputs.find((b) => b.value === input.dataset.band);
    if (band && !band.checked) { band.checked = true; showBand(band.value); }
  }));
  const chosen = bandInputs.find((b) => b.checked);
  if (chosen) chooseBand(chosen, true);

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    if (event.key === "Enter" && event.target.closest && event.target.closest("button, a, summary")) return;
    const band = bandInputs.find((b) => b.dataset.key === event.key);
    if (band) {
      chooseBand(band, false);
      event.preventDefault();
    } else if (event.key === "-") {
      moveScore(-1);
      event.preventDefault();
    } else if (event.key === "+" || event.key === "=") {
      moveScore(1);
      event.preventDefault();
    } else if (event.key === "s" || event.key === "Enter") {
      event.preventDefault();
      form.requestSubmit(saveNext);
    } else if (event.key === "f") {
      event.preventDefault();
      feedback.focus();
    }
  });

  form.querySelectorAll("[data-comment]").forEach((button) => button.addEventListener("click", () => {
    const text = button.dataset.comment;
    const start = feedback.selectionStart ?? feedback.value.length;
    const end = feedback.selectionEnd ?? start;
    const before = feedback.value.slice(0, start);
    const glue = before && !before.endsWith("\n") ? "\n\n" : "";
    feedback.value = before + glue + text + feedback.value.slice(end);
    feedback.focus();
    const caret = (before + glue + text).length;
    feedback.setSelectionRange(caret, caret);
  }));

  // Keep the lease alive while the page is in use, and say so when someone else has it.
  const script = document.currentScript || document.querySelector("script[data-lease-url]");
  const leaseUrl = script && script.dataset.leaseUrl;
  const warning = document.getElementById("lease-warning");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  let active = true;
  document.addEventListener("keydown", () => { active = true; });
  document.addEventListener("pointerdown", () => { active = true; });
  if (leaseUrl) {
    setInterval(() => {
      if (!active || document.hidden) return;
      active = false;
      fetch(leaseUrl, { method: "POST", headers: { "X-CSRFToken": csrf }, credentials: "same-origin" })
        .then((r) => (r.ok ? r.json() : null))
        .then((data) => {
          if (!data || !warning) return;
          warning.hidden = !data.held_by_other;
          if (data.held_by_other) {
            warning.textContent = `Being graded by ${data.held_by_other}. You can still grade, but if they save first you will be asked which grade to keep.`;
          }
        })
        .catch(() => {});
    }, 60000);
  }
})();
