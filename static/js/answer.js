// The answer box: live word counter, background autosave, conflict handling.
// Autosaves POST JSON to data-save-url with the CSRF token from the form's hidden input
// in the X-CSRFToken header. Unsaved text is also kept in localStorage until the server
// has it, so a closed tab or a dropped connection never loses a draft. When the server
// can't save for now (network down, 503 while the database restarts, 429, 5xx), the
// box says so and retries with a growing delay, sending whatever the box holds by then.
// The status badge follows each save (the server says what the status is now), and a submission
// outside the word range is held back once with a warning (the server still judges it).
(function () {
  "use strict";
  var form = document.getElementById("answer-form");
  if (!form) return;
  var box = document.getElementById("answer");
  var counter = document.getElementById("word-counter");
  var state = document.getElementById("save-state");
  var versionInput = document.getElementById("answer-version");
  var banner = document.getElementById("conflict-banner");
  var statusBadge = document.getElementById("answer-status");
  var unsubmittedBadge = document.getElementById("answer-unsubmitted");
  var wordWarning = document.getElementById("word-warning");
  var warnedAt = null;  // the word count the last warning was about
  var minWords = parseInt(form.dataset.minWords, 10);
  var maxWords = parseInt(form.dataset.maxWords, 10);
  var saveUrl = form.dataset.saveUrl;
  var storageKey = "reflect:draft:" + form.dataset.question;
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var IDLE_MS = 2000, MAX_WAIT_MS = 10000;
  var RETRY_FIRST_MS = 1000, RETRY_MAX_MS = 30000;
  var TRANSIENT = { 0: true, 429: true, 500: true, 502: true, 503: true, 504: true };  // 0: no answer at all

  var savedText = box.value;   // what the server has
  var inflightSave = null;
  var idleTimer = null, firstDirtyAt = null, inFlight = false, pending = false, conflict = null;
  var retryTimer = null, retryDelay = 0;

  function updateCounter() {
    var n = window.countWords(box.value);
    var ok = n >= minWords && n <= maxWords;
    counter.textContent = n + " word" + (n === 1 ? "" : "s") + " — needs " + minWords + "–" + maxWords;
    counter.classList.toggle("in-range", ok);
    counter.classList.toggle("out-of-range", !ok);
    counter.dataset.words = String(n);
  }

  function showStatus(data) {
    if (!statusBadge || !data.status) return;
    statusBadge.textContent = data.status;
    statusBadge.dataset.status = data.status;
    statusBadge.className = "badge " + data.status.replace(/\s+/g, "-");
    if (unsubmittedBadge) unsubmittedBadge.hidden = !data.has_unsubmitted_changes;
  }

  function setState(text, cls) {
    state.textContent = text;
    state.className = "save-state" + (cls ? " " + cls : "");
  }

  function remember() {
    try {
      localStorage.setItem(storageKey, JSON.stringify({ text: box.value, version: versionInput.value }));
    } catch (e) { /* storage full or disabled: the server copy still works */ }
  }
  function forget() { try { localStorage.removeItem(storageKey); } catch (e) { /* ignore */ } }

  function schedule() {
    if (retryTimer !== null) return;  // the retry already due sends the box as it is then
    var now = Date.now();
    if (firstDirtyAt === null) firstDirtyAt = now;
    clearTimeout(idleTimer);
    var wait = Math.min(IDLE_MS, Math.max(0, firstDirtyAt + MAX_WAIT_MS - now));
    idleTimer = setTimeout(save, wait);
  }

  function save(opts) {
    opts = opts || {};
    clearTimeout(idleTimer);
    if (conflict) return Promise.resolve();
    if (box.value === savedText) { firstDirtyAt = null; return Promise.resolve(); }
    if (inFlight) { pending = true; return Promise.resolve(); }
    inFlight = true;
    var text = box.value;
    setState("Saving…");
    inflightSave = fetch(saveUrl, {
      method: "POST",
      credentials: "same-origin",
      keepalive: !!opts.keepalive,
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ text: text, version: parseInt(versionInput.value, 10) })
    }).then(function (r) {
      // A proxy's or the server's error page may not be JSON; the status still says what to do.
      return r.json().catch(function () { return {}; }).then(function (data) {
        return { status: r.status, data: data, retryAfter: parseInt(r.headers.get("Retry-After"), 10) };
      });
    }, function () {
      return { status: 0, data: {} };
    }).then(function (res) {
      // A "conflict" whose current text is ours is a save that got there another way (the one sent
      // as the page was left, say): nothing differs, so take its version and carry on.
      var alreadyThere = res.status === 409 && res.data.conflict && res.data.current_text === text;
      if (res.status === 200 || alreadyThere) {
        savedText = text;
        versionInput.value = alreadyThere ? res.data.current_version : res.data.version;
        firstDirtyAt = null;
        retryDelay = 0;
        if (box.value === savedText) forget(); else { remember(); pending = true; }
        setState("Saved " + (alreadyThere ? res.data.current_saved_at_display : res.data.saved_at_display));
        showStatus(res.data);
      } else if (res.status === 409 && res.data.conflict) {
        retryDelay = 0;
        showConflict(res.data);
      } else if (TRANSIENT[res.status]) {
        remember();
        retryLater(res.status === 429 ? res.retryAfter : NaN);
      } else {
        remember();
        setState(res.data.error || "Not saved (error " + res.status + "); your text is kept in this browser.", "failed");
      }
    }).finally(function () {
      inFlight = false;
      if (pending) { pending = false; schedule(); }
    });
    return inflightSave;
  }

  function retryLater(retryAfterSeconds) {
    retryDelay = retryDelay ? Math.min(retryDelay * 2, RETRY_MAX_MS) : RETRY_FIRST_MS;
    var wait = retryAfterSeconds > 0 ? Math.max(retryDelay, retryAfterSeconds * 1000) : retryDelay;
    setState("Not saved yet — retrying in " + Math.round(wait / 1000) + " s. Your text is kept in this browser.",
             "failed");
    clearTimeout(retryTimer);
    retryTimer = setTimeout(retryNow, wait);
  }

  function retryNow() {
    clearTimeout(retryTimer);
    retryTimer = null;
    save();
  }

  function showConflict(data) {
    conflict = data;
    setState("Not saved: changed elsewhere", "conflict");
    document.getElementById("conflict-message").textContent = data.error;
    banner.hidden = false;
  }

  document.getElementById("conflict-load").addEventListener("click", function () {
    box.value = conflict.current_text;
    savedText = conflict.current_text;
    versionInput.value = conflict.current_version;
    conflict = null;
    banner.hidden = true;
    forget();
    updateCounter();
    setState("Loaded the version saved elsewhere");
  });
  document.getElementById("conflict-keep").addEventListener("click", function () {
    versionInput.value = conflict.current_version;
    savedText = conflict.current_text;
    conflict = null;
    banner.hidden = true;
    save();
  });

  box.addEventListener("input", function () {
    updateCounter();
    if (!wordWarning.hidden && window.countWords(box.value) !== warnedAt) wordWarning.hidden = true;
    remember();
    if (retryTimer === null) setState("Unsaved changes");
    schedule();
  });
  window.addEventListener("online", function () { if (retryTimer !== null) retryNow(); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") save({ keepalive: true });
  });
  window.addEventListener("pagehide", function () { save({ keepalive: true }); });
  form.addEventListener("submit", function (event) {
    var words = window.countWords(box.value);
    if ((words < minWords || words > maxWords) && warnedAt !== words) {
      // Held back once: the server would refuse it and keep it as a draft. A second press sends it anyway.
      event.preventDefault();
      warnedAt = words;
      wordWarning.textContent = "Your answer has " + words + " word" + (words === 1 ? "" : "s") +
        "; it needs " + minWords + "–" + maxWords + ", so it would be kept as a draft, not submitted. " +
        (words < minWords ? "Add at least " + (minWords - words) : "Remove at least " + (words - maxWords)) +
        " word" + (Math.abs(words < minWords ? minWords - words : words - maxWords) === 1 ? "" : "s") +
        ", or press Submit again to send it as it is.";
      wordWarning.hidden = false;
      return;
    }
    wordWarning.hidden = true;
    clearTimeout(idleTimer);  // the submission carries the text itself
    if (inFlight && inflightSave) {
      // Let the running autosave finish so the form posts the version it produced.
      event.preventDefault();
      inflightSave.then(function () { remember(); form.submit(); });
      return;
    }
    // Kept until the server has it: if this submission fails too, the next visit restores the text.
    // A successful one moves the version on, which retires the copy.
    remember();
  });

  // Restore text this browser typed but the server never got (same base version only).
  try {
    var stored = JSON.parse(localStorage.getItem(storageKey) || "null");
    if (stored && stored.version === versionInput.value && stored.text !== box.value) {
      box.value = stored.text;
      setState("Restored unsaved changes from this browser");
      schedule();
    } else if (stored) {
      forget();
    }
  } catch (e) { forget(); }
  updateCounter();
})();
