// Live Markdown preview under the question's text boxes in the admin, rendered and sanitised by the server
// so it matches what students and graders see. Without JavaScript the saved preview still shows.
(function () {
  "use strict";
  const FIELDS = ["context", "prompt", "expected_response", "mark_scheme"];
  const DELAY_MS = 300;

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function attach(url, textarea) {
    const preview = document.createElement("div");
    preview.className = "live-preview prose";
    preview.setAttribute("aria-live", "polite");
    preview.dataset.previewFor = textarea.name;
    textarea.insertAdjacentElement("afterend", preview);
    let timer = null;
    let sent = 0;

    async function render() {
      const ticket = ++sent;
      const body = new URLSearchParams({ text: textarea.value });
      try {
        const response = await fetch(url, {
          method: "POST", body, credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() },
        });
        if (!response.ok || ticket !== sent) return;
        const data = await response.json();
        preview.innerHTML = data.html; // sanitised by the server with the site's Markdown allow-list
      } catch (error) {
        preview.textContent = "Preview unavailable.";
      }
    }

    textarea.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(render, DELAY_MS);
    });
    if (textarea.value.trim()) render();
  }

  document.addEventListener("DOMContentLoaded", function () {
    const config = document.getElementById("markdown-preview-config");
    if (!config) return;
    for (const name of FIELDS) {
      const textarea = document.querySelector(`textarea[name=${name}]`);
      if (textarea) attach(config.dataset.url, textarea);
    }
  });
})();
