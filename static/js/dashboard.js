/* Resolution 22 dashboard: year switch, the year-over-year chart and the cards' sparklines.
   Data comes from the trend endpoint (same numbers as the page); Chart.js is served locally. */
(function () {
  "use strict";
  const year = document.getElementById("dash-year");
  if (year) {
    year.addEventListener("change", function () {
      const url = year.dataset.baseUrl.replace(/\/0\/$/, "/" + year.value + "/");
      window.location = url + window.location.search;
    });
  }
  const canvas = document.getElementById("dash-trend");
  if (!canvas || typeof Chart === "undefined") return;
  const fmt = new Intl.NumberFormat("vi-VN", { maximumFractionDigits: 2 });
  fetch(canvas.dataset.trendUrl, { headers: { Accept: "application/json" } })
    .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
    .then(function (trend) {
      const headline = Object.entries(trend.series).filter(function (e) {
        return e[1].headline && e[1].unit === "percent";
      });
      new Chart(canvas, {
        type: "line",
        data: {
          labels: trend.years,
          datasets: headline.map(function (e) {
            return { label: e[1].name, data: e[1].values, spanGaps: false, tension: 0.2 };
          }),
        },
        options: {
          maintainAspectRatio: false,
          scales: { y: { beginAtZero: true, suggestedMax: 100 } },
          plugins: { tooltip: { callbacks: { label: function (c) {
            return c.dataset.label + ": " + fmt.format(c.parsed.y) + "%";
          } } } },
        },
      });
      document.querySelectorAll("canvas.dash-spark").forEach(function (spark) {
        const series = trend.series[spark.dataset.code];
        if (!series) return;
        new Chart(spark, {
          type: "line",
          data: { labels: trend.years, datasets: [{ data: series.values, pointRadius: 0, borderWidth: 1.5 }] },
          options: {
            responsive: false, animation: false,
            plugins: { legend: { display: false }, tooltip: { enabled: false } },
            scales: { x: { display: false }, y: { display: false } },
          },
        });
      });
    })
    .catch(function () { canvas.replaceWith(document.createTextNode("–")); });
})();
