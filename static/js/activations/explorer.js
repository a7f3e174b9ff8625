/**
 * The explorer: draws f and f′ from the server's numbers, and re-evaluates through the API
 * when the form changes (the form itself still works as a plain GET without JavaScript).
 */
(function () {
  "use strict";
  const api = window.ActivationsAPI;
  const form = document.getElementById("explorer-form");
  const box = document.getElementById("explorer-chart");
  const errorBox = document.getElementById("explorer-error");
  const COLORS = ["#2456c6", "#b3261e", "#1c7c3c", "#a35a00", "#6b3fa0", "#0f7c86", "#5b6475"];
  let chart = null;

  function finiteOrNull(v) {
    return Number.isFinite(v) ? v : null;
  }

  function draw(plot) {
    const datasets = [];
    plot.series.forEach((s, i) => {
      const color = COLORS[i % COLORS.length];
      const y = api.decode(s.y);
      datasets.push({
        label: `${s.label}`, borderColor: color, backgroundColor: color, pointRadius: 0, borderWidth: 2,
        data: plot.x.map((x, j) => ({ x: x, y: finiteOrNull(y[j]) })),
      });
      if (s.dy) {
        const dy = api.decode(s.dy);
        datasets.push({
          label: `${s.label}′`, borderColor: color, backgroundColor: color, pointRadius: 0, borderWidth: 1.5,
          borderDash: [6, 4], data: plot.x.map((x, j) => ({ x: x, y: finiteOrNull(dy[j]) })),
        });
      }
    });
    box.hidden = false;
    if (chart) chart.destroy();
    chart = new window.Chart(box.querySelector("canvas"), {
      type: "line",
      data: { datasets: datasets },
      options: {
        animation: false, maintainAspectRatio: false, parsing: false, spanGaps: false,
        scales: { x: { type: "linear", title: { display: true, text: "x" } } },
        plugins: { legend: { position: "bottom" } },
      },
    });
    box.dataset.drawn = plot.series.map((s) => s.function).join(",");
    box.dataset.points = String(plot.x.length);
  }

  function renderTable(plot) {
    const table = document.getElementById("explorer-table");
    if (!table) return;
    const head = document.createElement("tr");
    const cell = (tag, text, css) => {
      const el = document.createElement(tag);
      el.textContent = text;
      el.className = `num ${css || ""}`.trim();
      return el;
    };
    head.appendChild(cell("th", "x"));
    plot.series.forEach((s) => {
      head.appendChild(cell("th", s.label));
      head.appendChild(cell("th", `${s.label}′`));
    });
    table.tHead.replaceChildren(head);
    const columns = plot.series.map((s) => [api.decode(s.y), s.dy ? api.decode(s.dy) : null]);
    const rows = plot.x.map((x, i) => {
      const tr = document.createElement("tr");
      tr.appendChild(cell("td", api.format(x)));
      columns.forEach(([y, dy]) => {
        const yText = api.format(y[i]);
        tr.appendChild(cell("td", yText, Number.isFinite(y[i]) ? "" : yText.replace("-", "")));
        tr.appendChild(cell("td", dy ? api.format(dy[i]) : "—"));
      });
      return tr;
    });
    table.tBodies[0].replaceChildren(...rows);
  }

  function inputs() {
    const data = new FormData(form);
    const vector = (data.get("vector") || "").trim();
    let x;
    if (vector) {
      // Unparseable entries are sent as written so the server names them in its error.
      x = vector.replace(/[[\]]/g, " ").split(/[\s,]+/).filter(Boolean).map((t) => (Number.isNaN(Number(t)) ? t : Number(t)));
    } else {
      const start = Number(data.get("start")), stop = Number(data.get("stop")), points = Number(data.get("points"));
      x = Array.from({ length: points }, (_, i) => (points > 1 ? start + ((stop - start) * i) / (points - 1) : start));
    }
    return { functions: data.getAll("functions"), dtype: data.get("dtype"), slope: Number(data.get("slope")), x: x };
  }

  async function refresh(event) {
    if (event) event.preventDefault();
    const request = inputs();
    errorBox.hidden = true;
    try {
      if (!request.functions.length) throw new Error("Pick at least one function.");
      const answers = await Promise.all(request.functions.map((name) => {
        const body = { function: name, x: request.x, dtype: request.dtype };
        if (name === "leaky_relu") body.slope = request.slope;
        return api.postJSON(form.dataset.api, body);
      }));
      const plot = {
        x: request.x,
        series: answers.map((a, i) => ({
          function: a.function,
          label: form.querySelector(`input[name=functions][value="${request.functions[i]}"]`).parentElement.textContent.trim(),
          y: a.y,
          dy: a.dy || (a.jacobian ? a.jacobian.map((row, j) => row[j]) : null),
        })),
      };
      draw(plot);
      renderTable(plot);
      history.replaceState(null, "", `?${new URLSearchParams(new FormData(form)).toString()}`);
    } catch (error) {
      errorBox.textContent = error.message;
      errorBox.hidden = false;
    }
  }

  const initial = document.getElementById("explorer-data");
  if (initial) draw(JSON.parse(initial.textContent));
  form.addEventListener("submit", refresh);
  form.addEventListener("change", (event) => {
    if (event.target.name === "functions" || event.target.name === "dtype") refresh();
  });
})();
