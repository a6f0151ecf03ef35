// Broadcast page: poll the delivery counts every 2 s and move the progress bar, until
// every message has a final status. Without JavaScript the page shows the counts as
// they were when it loaded.
(function () {
  "use strict";
  var section = document.getElementById("progress-section");
  if (!section || !window.fetch) { return; }
  var url = section.getAttribute("data-progress-url");
  var bar = document.getElementById("delivery-bar");
  var text = document.getElementById("progress-text");
  var counts = document.getElementById("progress-counts");
  var status = document.getElementById("broadcast-status");
  var INTERVAL = 2000;

  function render(data) {
    bar.value = data.percent;
    bar.setAttribute("aria-valuenow", String(data.percent));
    bar.textContent = data.percent + " %";
    if (text.textContent !== data.text) { text.textContent = data.text; }
    if (status) { status.textContent = data.status_text; }
    var list = document.createDocumentFragment();
    data.shown.forEach(function (item) {
      var dt = document.createElement("dt");
      dt.textContent = item.label;
      var dd = document.createElement("dd");
      dd.setAttribute("data-count", item.key);
      dd.textContent = String(item.count);
      list.appendChild(dt);
      list.appendChild(dd);
    });
    counts.replaceChildren(list);
    section.setAttribute("data-finished", data.finished ? "true" : "false");
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data) { render(data); }
        if (!data || !data.finished) { window.setTimeout(poll, INTERVAL); }
      })
      .catch(function () { window.setTimeout(poll, INTERVAL); });
  }
  if (section.getAttribute("data-finished") !== "true") { window.setTimeout(poll, INTERVAL); }
})();
