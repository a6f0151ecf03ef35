// Keep the call status line up to date while a call is under way (every 2 seconds).
(function () {
  var line = document.getElementById("call-status");
  if (!line || line.dataset.final === "true") return;
  function poll() {
    fetch(line.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) return;
        if (data.label && line.textContent !== data.label) line.textContent = data.label;
        line.dataset.status = data.status || "";
        if (!data.final) setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 2000);
})();
