/**
 * Shared by the activation labs: calling the JSON API and reading its numbers.
 *
 * CSRF: each lab page renders Django's {% csrf_token %} (a hidden input named
 * csrfmiddlewaretoken). postJSON reads that input and sends its value in the
 * X-CSRFToken header with every POST; the cookie itself is never read.
 * Non-finite numbers arrive as the strings "nan", "inf" and "-inf" (JSON has no
 * NaN); decode turns them back into numbers.
 */
(function () {
  "use strict";

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  async function postJSON(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    });
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = { error: `The server answered ${response.status} without JSON.` };
    }
    if (!response.ok) {
      throw new Error((data && data.error) || `The server answered ${response.status}.`);
    }
    return data;
  }

  const SPECIAL = { nan: NaN, inf: Infinity, "-inf": -Infinity };

  function decode(values) {
    return values.map((v) => (typeof v === "string" ? SPECIAL[v] : v));
  }

  function format(value) {
    if (Number.isNaN(value)) return "nan";
    if (value === Infinity) return "inf";
    if (value === -Infinity) return "-inf";
    return Number(value.toPrecision(6)).toString();
  }

  window.ActivationsAPI = { postJSON, decode, format, csrfToken };
})();
