// Task page: refresh answers, delivery and history every few seconds, without a reload.
// The page works without it; this only saves pressing reload while answers arrive.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live || !window.fetch) { return; }
  var url = live.getAttribute("data-status-url");
  var INTERVAL = 4000;

  function setText(el, text) { if (el && el.textContent !== text) { el.textContent = text; } }

  function cell(row, text, href) {
    var td = document.createElement("td");
    if (href) {
      var a = document.createElement("a");
      a.href = href; a.textContent = text; td.appendChild(a);
    } else {
      td.textContent = text;
    }
    row.appendChild(td);
  }

  function render(data) {
    setText(document.getElementById("accepted-line"), data.accepted_text);
    setText(document.getElementById("task-status"), data.status_text);
    setText(document.getElementById("next-wave"), data.next_wave_text || "");
    Object.keys(data.offers).forEach(function (key) {
      setText(live.querySelector('[data-offer="' + key + '"]'), String(data.offers[key]));
    });
    Object.keys(data.delivery).forEach(function (key) {
      setText(live.querySelector('[data-delivery="' + key + '"]'), String(data.delivery[key]));
    });
    var body = document.getElementById("answers");
    if (body && data.answers.length) {
      var rows = document.createDocumentFragment();
      data.answers.forEach(function (a) {
        var tr = document.createElement("tr");
        cell(tr, String(a.wave));
        cell(tr, a.name);
        cell(tr, a.phone, a.status === "accepted" ? "tel:" + a.phone : null);
        cell(tr, a.status_text);
        rows.appendChild(tr);
      });
      body.replaceChildren(rows);
    }
    var events = document.getElementById("events");
    if (events) {
      var items = document.createDocumentFragment();
      data.events.forEach(function (e) {
        var li = document.createElement("li");
        li.textContent = e.at + ": " + e.kind + (e.who ? " – " + e.who : "") +
          (e.detail ? " (" + e.detail + ")" : "");
        items.appendChild(li);
      });
      events.replaceChildren(items);
    }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { render(data); } })
      .catch(function () { /* offline for a moment: try again next time */ })
      .then(function () { window.setTimeout(poll, INTERVAL); });
  }
  window.setTimeout(poll, INTERVAL);
})();
