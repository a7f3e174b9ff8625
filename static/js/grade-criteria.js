// Keyboard grading of an analytic rubric: a digit scores the focused criterion (criteria worth 10 or
// more take typed numbers), Tab / ArrowDown and Shift+Tab / ArrowUp move between criteria, s or Enter
// saves and opens the next ungraded response, f goes to the feedback. The total shows "total / points (band)".
(function () {
  "use strict";
  const box = document.getElementById("criteria-scores");
  if (!box) return;
  const form = box.closest("form");
  const inputs = Array.from(box.querySelectorAll("input[data-criterion]"));
  const total = document.getElementById("criteria-total");
  const points = Number(box.dataset.points);
  const bands = Array.from(document.querySelectorAll("#criteria-bands li")).map((li) => ({
    min: Number(li.dataset.min), max: Number(li.dataset.max), label: li.textContent,
  }));

  function scoreOf(input) {
    const text = input.value.trim();
    if (!/^[0-9]{1,6}$/.test(text)) return null;
    const value = Number(text);
    return value <= Number(input.max) ? value : null;
  }

  function update() {
    let sum = 0;
    let missing = 0;
    inputs.forEach((input) => {
      const value = scoreOf(input);
      input.closest("[data-criterion-row]").classList.toggle("chosen", value !== null);
      if (value === null) missing += 1;
      else sum += value;
    });
    const band = bands.find((b) => b.min <= sum && sum <= b.max);
    let text = `${sum} / ${points}`;
    if (band) text += ` (${band.label})`;
    if (missing) text += ` · ${missing} to score`;
    total.textContent = text;
  }

  function singleKeysOn() {
    const toggle = document.getElementById("shortcuts-on");
    return !toggle || toggle.checked;
  }

  function move(input, step) {
    const next = inputs[inputs.indexOf(input) + step];
    if (!next) return false;
    next.focus();
    next.select();
    return true;
  }

  inputs.forEach((input) => {
    input.addEventListener("input", update);
    input.addEventListener("focus", () => input.select());
    input.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (/^[0-9]$/.test(event.key) && Number(input.max) < 10) {
        event.preventDefault();
        if (Number(event.key) <= Number(input.max)) {
          input.value = event.key;
          update();
        }
      } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault(); // not the number box's own step: the arrows move between criteria
        move(input, event.key === "ArrowDown" ? 1 : -1);
      } else if (event.key === "Tab") {
        if (move(input, event.shiftKey ? -1 : 1)) event.preventDefault();
      } else if ((event.key === "s" || event.key === "f") && !singleKeysOn()) {
        // The grading page's "Single-key shortcuts" switch is off: the letter does nothing.
      } else if (event.key === "s" || event.key === "Enter") {
        event.preventDefault();
        const saveNext = document.getElementById("save-next");
        if (saveNext && !saveNext.disabled) form.requestSubmit(saveNext);
      } else if (event.key === "f") {
        event.preventDefault();
        document.getElementById("id_feedback").focus();
      }
    });
  });

  update();
  if (inputs.length && (!document.activeElement || document.activeElement === document.body)) {
    const first = inputs.find((input) => scoreOf(input) === null) || inputs[0];
    first.focus();
  }
})();
