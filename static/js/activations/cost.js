/**
 * The cost lab (page and question panel): runs the benchmark through the API and draws
 * ns/element as bars, ReLU = 1×. Without JavaScript the form posts to the cost lab page.
 */
(function () {
  "use strict";
  const api = window.ActivationsAPI;

  function setUp(form) {
    const root = form.parentElement;
    const box = root.querySelector(".cost-chart");
    const table = root.querySelector(".cost-results");
    const status = form.querySelector(".cost-status");
    const button = form.querySelector("button[type=submit]");
    let chart = null;

    function draw(result) {
      box.hidden = false;
      if (chart) chart.destroy();
      chart = new window.Chart(box.querySelector("canvas"), {
        type: "bar",
        data: {
          labels: result.results.map((r) => `${r.label} (${r.ratio_to_relu.toFixed(1)}×)`),
          datasets: [{ label: `ns per element, ${result.dtype}, n = ${result.n.toLocaleString()}`,
            data: result.results.map((r) => r.ns_per_element), backgroundColor: "#2456c6" }],
        },
        options: { animation: false, maintainAspectRatio: false, indexAxis: "y",
          scales: { x: { beginAtZero: true, title: { display: true, text: "ns / element" } } } },
      });
      box.dataset.drawn = result.results.map((r) => r.function).join(",");
      const rows = result.results.map((r) => {
        const tr = document.createElement("tr");
        [r.label, r.ns_per_element.toFixed(2), `${r.ratio_to_relu.toFixed(2)}×`, String(r.runs)].forEach((text, i) => {
          const td = document.createElement("td");
          td.textContent = text;
          if (i) td.className = "num";
          tr.appendChild(td);
        });
        return tr;
      });
      table.tBodies[0].replaceChildren(...rows);
      table.hidden = false;
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      button.disabled = true;
      status.textContent = "Running…";
      try {
        const result = await api.postJSON(form.dataset.api, {
          functions: data.getAll("functions"), n: Number(data.get("n")), dtype: data.get("dtype"),
        });
        draw(result);
        status.textContent = `ReLU: ${result.relu_ns_per_element.toFixed(2)} ns per element.`;
      } catch (error) {
        status.textContent = error.message;
      } finally {
        button.disabled = false;
      }
    });
  }

  document.querySelectorAll("form.cost-form").forEach(setUp);
})();
