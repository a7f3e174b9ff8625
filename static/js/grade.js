// The grading page. Keyboard grading: digits pick a band (its top score preselected), -/+ move the score inside
// the band, s or Enter saves and opens the next ungraded response; keys never fire while typing, and the
// single-character ones can be switched off (kept in this browser). The comment bank adds without a reload.
// The lease status is polled so this page stops saving as soon as someone else takes the response or saves it.
(function () {
  "use strict";
  const form = document.getElementById("grade-form");
  if (!form) return;
  const feedback = document.getElementById("id_feedback");
  const saveNext = document.getElementById("save-next");
  const saveButtons = Array.from(form.querySelectorAll("button[type=submit]:not(#comment-add)"));
  const bandInputs = Array.from(form.querySelectorAll("input[name=band]"));
  const scoreInputs = Array.from(form.querySelectorAll("input[name=score]"));
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const store = {
    get(key) { try { return window.localStorage.getItem(key); } catch (e) { return null; } },
    set(key, value) { try { window.localStorage.setItem(key, value); } catch (e) { /* private mode: not kept */ } },
  };

  // Bands and scores ----------------------------------------------------------------------------------------
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

  bandInputs.forEach((input) => input.addEventListener("change", () => chooseBand(input, false)));
  scoreInputs.forEach((input) => input.addEventListener("change", () => {
    const band = bandInputs.find((b) => b.value === input.dataset.band);
    if (band && !band.checked) { band.checked = true; showBand(band.value); }
  }));
  const chosen = bandInputs.find((b) => b.checked);
  if (chosen) chooseBand(chosen, true);

  // Saving can be stopped by the lease watch below; the typed grade stays in the page.
  let savingBlocked = false;
  function blockSaving(blocked) {
    savingBlocked = blocked;
    saveButtons.forEach((button) => { button.disabled = blocked; });
  }

  // Keys ----------------------------------------------------------------------------------------------------
  const shortcutsBox = document.getElementById("shortcut-keys");
  const shortcutsOn = document.getElementById("shortcuts-on");
  const SHORTCUTS_KEY = "reflect.grading.shortcuts";
  function showShortcuts(on) {
    shortcutsOn.checked = on;
    form.classList.toggle("shortcuts-off", !on);
  }
  if (shortcutsBox && shortcutsOn) {
    shortcutsBox.hidden = false;
    showShortcuts(store.get(SHORTCUTS_KEY) !== "off");
    shortcutsOn.addEventListener("change", () => {
      store.set(SHORTCUTS_KEY, shortcutsOn.checked ? "on" : "off");
      showShortcuts(shortcutsOn.checked);
    });
  }

  function isTyping(target) {
    return Boolean(target.closest && target.closest("textarea, select, [contenteditable], input:not([type=radio]):not([type=checkbox])"));
  }

  function saveAndNext() {
    if (!savingBlocked) form.requestSubmit(saveNext);
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target)) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    if (event.key === "Enter" && event.target.closest && event.target.closest("button, a, summary")) return;
    if (event.key === "Enter") {
      // Not a character key, so it stays when the single-key shortcuts are off.
      event.preventDefault();
      saveAndNext();
      return;
    }
    if (!shortcutsOn || !shortcutsOn.checked) return;
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
    } else if (event.key === "s") {
      event.preventDefault();
      saveAndNext();
    } else if (event.key === "f") {
      event.preventDefault();
      feedback.focus();
    }
  });

  // Mark scheme: open or closed as this browser last left it ---------------------------------------------------
  const markScheme = document.getElementById("mark-scheme");
  const MARK_SCHEME_KEY = "reflect.grading.markScheme";
  if (markScheme) {
    markScheme.open = store.get(MARK_SCHEME_KEY) === "open";
    markScheme.addEventListener("toggle", () => store.set(MARK_SCHEME_KEY, markScheme.open ? "open" : "closed"));
  }

  // Comment bank ----------------------------------------------------------------------------------------------
  const commentList = document.getElementById("comment-list");
  const commentText = document.getElementById("id_comment_text");
  const commentAdd = document.getElementById("comment-add");
  const commentStatus = document.getElementById("comment-status");

  function insertComment(text) {
    const start = feedback.selectionStart ?? feedback.value.length;
    const end = feedback.selectionEnd ?? start;
    const before = feedback.value.slice(0, start);
    const glue = before && !before.endsWith("\n") ? "\n\n" : "";
    feedback.value = before + glue + text + feedback.value.slice(end);
    feedback.focus();
    const caret = (before + glue + text).length;
    feedback.setSelectionRange(caret, caret);
  }

  function commentItem(text) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link";
    button.dataset.comment = text;
    button.textContent = "Insert";
    button.setAttribute("aria-label", `Insert comment: ${text.length > 120 ? text.slice(0, 119) + "…" : text}`);
    item.append(button, " ", text);
    return item;
  }

  if (commentList) {
    commentList.addEventListener("click", (event) => {
      const button = event.target.closest("[data-comment]");
      if (button) insertComment(button.dataset.comment);
    });
  }

  function addComment() {
    const body = new FormData();
    body.append("text", commentText.value);
    body.append("response", form.querySelector("input[name=response]").value);
    commentAdd.disabled = true;
    fetch(commentAdd.formAction, {
      method: "POST", body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, Accept: "application/json" },
    })
      .then((reply) => reply.json().then((data) => ({ ok: reply.ok, data })))
      .then(({ ok, data }) => {
        if (ok) {
          commentList.append(commentItem(data.text));
          commentText.value = "";
          commentStatus.textContent = "Comment added to the bank.";
          commentStatus.classList.remove("error");
        } else {
          commentStatus.textContent = data.error || "The comment was not added.";
          commentStatus.classList.add("error");
        }
      })
      .catch(() => {
        commentStatus.textContent = "The comment was not added: no connection. Try again.";
        commentStatus.classList.add("error");
      })
      .finally(() => { commentAdd.disabled = false; });
  }

  if (commentAdd && commentText && commentList) {
    commentAdd.addEventListener("click", (event) => { event.preventDefault(); addComment(); });
    commentText.addEventListener("keydown", (event) => {
      if (event.key === "Enter") { event.preventDefault(); addComment(); }
    });
  }

  // Lease -----------------------------------------------------------------------------------------------------
  const script = document.currentScript || document.querySelector("script[data-lease-url]");
  const leaseUrl = script && script.dataset.leaseUrl;
  const statusUrl = form.dataset.leaseStatusUrl;
  const takeoverUrl = form.dataset.leaseTakeoverUrl;
  const pageVersion = Number(form.querySelector("input[name=version]").value);
  const warning = document.getElementById("lease-warning");
  const warningText = document.getElementById("lease-warning-text");
  const lost = document.getElementById("lease-lost");
  const lostText = document.getElementById("lease-lost-text");
  const retake = document.getElementById("lease-retake");
  const compare = document.getElementById("lease-compare");
  let held = form.dataset.held === "1";  // whether this page holds the response

  function clock(iso) {
    return iso ? new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" }) : "";
  }

  function showLost(text, action) {
    lostText.textContent = text;
    retake.hidden = action !== retake;
    compare.hidden = action !== compare;
    lost.hidden = false;
    blockSaving(true);
  }

  function showStatus(data) {
    if (data.version !== pageVersion) {
      showLost(
        `${data.graded_by} saved a grade for this response at ${clock(data.graded_at)} while you had it open. ` +
        "Saving is off so neither grade is lost; your band, score and feedback are still here.", compare);
      return;
    }
    if (data.holder_is_you) {
      held = true;
    } else if (held && data.holder) {
      showLost(
        `${data.holder} took this response over at ${clock(data.taken_at)}. ` +
        "Saving is off so you don't overwrite each other; what you typed is still here.", retake);
      return;
    }
    lost.hidden = true;
    blockSaving(false);
    warning.hidden = !data.holder || data.holder_is_you;
    if (data.holder && !data.holder_is_you) {
      warningText.textContent = `Being graded by ${data.holder}. You can still grade, but if they save first you will be asked which grade to keep.`;
    }
  }

  function poll() {
    if (document.hidden || !statusUrl) return;
    fetch(statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((reply) => (reply.ok ? reply.json() : null))
      .then((data) => { if (data) showStatus(data); })
      .catch(() => {});
  }

  function takeOver() {
    return fetch(takeoverUrl, {
      method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf, Accept: "application/json" },
    })
      .then((reply) => (reply.ok ? reply.json() : null))
      .then((data) => {
        if (!data) return;
        held = true;
        warning.hidden = true;
        poll();
      })
      .catch(() => {});
  }

  if (statusUrl) {
    setInterval(poll, 5000);
    window.addEventListener("focus", poll);
    document.addEventListener("visibilitychange", () => { if (!document.hidden) poll(); });
  }
  const takeoverForm = warning && warning.querySelector("form");
  if (takeoverForm) takeoverForm.addEventListener("submit", (event) => { event.preventDefault(); takeOver(); });
  if (retake) retake.addEventListener("click", () => takeOver());
  if (compare) {
    // Posting the page's (older) version shows both grades side by side to choose from.
    compare.addEventListener("click", () => {
      blockSaving(false);
      form.requestSubmit(document.getElementById("save-stay"));
    });
  }

  // Keep the lease alive while the page is in use (only renews a lease nobody else holds).
  let active = true;
  document.addEventListener("keydown", () => { active = true; });
  document.addEventListener("pointerdown", () => { active = true; });
  if (leaseUrl) {
    setInterval(() => {
      if (!active || document.hidden || lost.hidden === false) return;
      active = false;
      fetch(leaseUrl, { method: "POST", headers: { "X-CSRFToken": csrf }, credentials: "same-origin" })
        .then((r) => (r.ok ? r.json() : null))
        .then((data) => { if (data && !data.held_by_other) held = true; })
        .catch(() => {});
    }, 60000);
  }
})();
