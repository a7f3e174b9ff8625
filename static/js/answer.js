// The answer box: live word counter, background autosave, conflict handling.
// Autosaves POST JSON to data-save-url with the CSRF token from the form's hidden input
// in the X-CSRFToken header. Unsaved text is also kept in localStorage until the server
// has it, so a closed tab or a dropped connection never loses a draft.
(function () {
  "use strict";
  var form = document.getElementById("answer-form");
  if (!form) return;
  var box = document.getElementById("answer");
  var counter = document.getElementById("word-counter");
  var state = document.getElementById("save-state");
  var versionInput = document.getElementById("answer-version");
  var banner = document.getElementById("conflict-banner");
  var minWords = parseInt(form.dataset.minWords, 10);
  var maxWords = parseInt(form.dataset.maxWords, 10);
  var saveUrl = form.dataset.saveUrl;
  var storageKey = "reflect:draft:" + form.dataset.question;
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var IDLE_MS = 2000, MAX_WAIT_MS = 10000;

  var savedText = box.value;   // what the server has
  var inflightSave = null;
  var idleTimer = null, firstDirtyAt = null, inFlight = false, pending = false, conflict = null;

  function updateCounter() {
    var n = window.countWords(box.value);
    var ok = n >= minWords && n <= maxWords;
    counter.textContent = n + " word" + (n === 1 ? "" : "s") + " — needs " + minWords + "–" + maxWords;
    counter.classList.toggle("in-range", ok);
    counter.classList.toggle("out-of-range", !ok);
    counter.dataset.words = String(n);
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
      return r.json().then(function (data) { return { status: r.status, data: data }; });
    }).then(function (res) {
      if (res.status === 200) {
        savedText = text;
        versionInput.value = res.data.version;
        firstDirtyAt = null;
        if (box.value === savedText) forget(); else remember();
        setState("Saved " + new Date(res.data.saved_at).toLocaleTimeString());
      } else if (res.status === 409 && res.data.conflict) {
        showConflict(res.data);
      } else {
        setState(res.data.error || "Not saved.", "failed");
      }
    }).catch(function () {
      setState("Offline: your text is kept in this browser and will be saved when the connection returns.", "failed");
    }).finally(function () {
      inFlight = false;
      if (pending) { pending = false; schedule(); }
    });
    return inflightSave;
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
    remember();
    setState("Unsaved changes");
    schedule();
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") save({ keepalive: true });
  });
  window.addEventListener("pagehide", function () { save({ keepalive: true }); });
  form.addEventListener("submit", function (event) {
    clearTimeout(idleTimer);  // the submission carries the text itself
    if (inFlight && inflightSave) {
      // Let the running autosave finish so the form posts the version it produced.
      event.preventDefault();
      inflightSave.then(function () { forget(); form.submit(); });
      return;
    }
    forget();
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
