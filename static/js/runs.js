/* Live run progress: every [data-run-progress] element follows ws/runs/<id>/.
   The server renders the stored state first; this only keeps it current. Messages are the
   typed ones of apps/jobs/messages.py: run.snapshot, run.progress, run.log, run.mark,
   run.finished. A mark updates every [data-run-mark="<run id>:<key>"] on the page. */
(function () {
  "use strict";
  if (window.nubloxRuns) return;
  var OPEN = { queued: true, running: true };
  var LABELS = { queued: "Queued", running: "Running", succeeded: "Succeeded",
                 failed: "Failed", cancelled: "Cancelled" };

  function field(box, name) { return box.querySelector('[data-run-field="' + name + '"]'); }

  function show(box, msg) {
    var state = field(box, "state"), bar = field(box, "percent"), text = field(box, "percent-text");
    var step = field(box, "step"), error = field(box, "error"), note = field(box, "live-note");
    box.dataset.state = msg.state;
    if (state) { state.textContent = LABELS[msg.state] || msg.state; state.className = "status status-" + msg.state; }
    if (bar) { bar.value = msg.percent; bar.textContent = msg.percent + " %"; }
    if (text) text.textContent = msg.percent + " %";
    if (step) step.textContent = msg.step || "";
    if (error && "error" in msg) { error.textContent = msg.error || ""; error.hidden = !msg.error; }
    if (note && msg.state !== "queued") note.textContent = "";
  }

  function addLine(runId, entry) {
    var list = document.querySelector('[data-run-log="' + runId + '"]');
    if (!list) return;
    var last = list.lastElementChild;
    if (last && Number(last.dataset.seq) >= entry.seq) return;  // already shown
    var item = document.createElement("li"), at = document.createElement("span");
    item.dataset.seq = entry.seq;
    at.className = "muted";
    at.textContent = (entry.at || "").slice(11, 19);
    item.appendChild(at);
    item.appendChild(document.createTextNode(" " + entry.line));
    list.appendChild(item);
    var empty = document.querySelector('[data-run-log-empty="' + runId + '"]');
    if (empty) empty.hidden = true;
  }

  function setMark(runId, key, status) {
    document.querySelectorAll('[data-run-mark="' + runId + ":" + key + '"]').forEach(function (el) {
      el.textContent = status;
      el.className = "plan-state plan-state-" + status;
      el.hidden = false;
    });
  }

  function follow(box) {
    var runId = box.dataset.runProgress, tries = 0;
    if (!OPEN[box.dataset.state] || box.dataset.following) return;
    box.dataset.following = "1";
    function connect() {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      var socket = new WebSocket(scheme + location.host + box.dataset.wsPath);
      socket.onmessage = function (event) {
        var msg = JSON.parse(event.data);
        tries = 0;
        if (msg.type === "run.log") { addLine(runId, msg); return; }
        if (msg.type === "run.mark") { setMark(runId, msg.key, msg.status); return; }
        if (msg.type === "run.snapshot") {
          msg.logs.forEach(function (e) { addLine(runId, e); });
          Object.keys(msg.marks || {}).forEach(function (k) { setMark(runId, k, msg.marks[k]); });
        }
        show(box, msg);
        if (!OPEN[msg.state]) {
          socket.close();
          if (box.dataset.reloadOnFinish !== undefined) location.reload();  // result, log
        }
      };
      socket.onclose = function (event) {
        if (event.code === 4403 || !OPEN[box.dataset.state] || tries > 20) return;
        tries += 1;
        setTimeout(connect, Math.min(1000 * tries, 10000));
      };
    }
    connect();
  }

  window.nubloxRuns = { follow: follow };
  function start() { document.querySelectorAll("[data-run-progress]").forEach(follow); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  document.addEventListener("htmx:load", function (event) {
    var el = event.detail && event.detail.elt;
    if (el && el.querySelectorAll) el.querySelectorAll("[data-run-progress]").forEach(follow);
  });
})();
