/* Overseer dashboard: live updates over server-sent events, approvals through the API. Vanilla JS, no build step.
 *
 * - One stream, /api/v1/events/stream, read with fetch so that every event kind arrives (an EventSource only hands out
 *   the named events one listens for, and kinds are open-ended). It resumes after the page's last event on reconnect.
 * - Live regions: an element with data-refresh="URL" is fetched again and swapped when an event matches its
 *   data-kinds (prefixes: "run" matches run.finished), data-task and data-run (data-tasks: any of these space-separated ids).
 * - The board moves a card when its task changes (fetching /board/card/ID) and keeps counts from /board/counts.
 * - A run's log follows /api/v1/runs/ID/log/stream from the byte the page rendered up to.
 * - Approve and Reject post JSON to the API with the page's CSRF token; without script the same forms post to the
 *   dashboard's own routes.
 */
(function () {
  "use strict";

  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  var handlers = [];

  function onEvent(fn) { handlers.push(fn); }
  function sleep(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }
  function matchesKind(kind, prefixes) {
    return prefixes.length === 0 || prefixes.some(function (p) { return kind === p || kind.indexOf(p + ".") === 0; });
  }
  function fragment(html) {
    var tpl = document.createElement("template");
    tpl.innerHTML = html.trim();
    return tpl.content.firstElementChild;
  }

  /* -- connection indicator and the event stream ------------------------------------------------------------------ */
  var conn = document.getElementById("conn");
  function setConn(state) {
    if (!conn) return;
    conn.setAttribute("data-state", state);
    var label = { live: "live", connecting: "connecting", reconnecting: "reconnecting…", offline: "offline",
                  "signed-out": "sign in for live updates" }[state] || state;
    conn.querySelector(".conn-text").textContent = label;
    conn.title = state === "live" ? "live updates: connected" : "live updates: " + label;
  }

  var lastId = document.body.getAttribute("data-last-seq");

  function dispatch(block) {
    var kind = "message", data = [], id = null;
    block.split("\n").forEach(function (line) {
      if (!line || line.charAt(0) === ":") return;
      var at = line.indexOf(":");
      var field = at < 0 ? line : line.slice(0, at);
      var value = at < 0 ? "" : line.slice(at + 1).replace(/^ /, "");
      if (field === "event") kind = value;
      else if (field === "data") data.push(value);
      else if (field === "id") id = value;
    });
    if (id !== null) lastId = id;
    if (kind === "resync") { refreshAll(); return; }
    if (!data.length) return;
    var ev;
    try { ev = JSON.parse(data.join("\n")); } catch (err) { return; }
    if (!ev || typeof ev.kind !== "string") return;
    handlers.forEach(function (fn) {
      try { fn(ev); } catch (err) { if (window.console) console.warn("overseer: handler failed", err); }
    });
  }

  async function follow() {
    var failures = 0;
    for (;;) {
      var url = "/api/v1/events/stream" + (lastId ? "?after=" + encodeURIComponent(lastId) : "");
      try {
        var res = await fetch(url, { headers: { Accept: "text/event-stream" }, credentials: "same-origin", cache: "no-store" });
        if (res.status === 401) { setConn("signed-out"); return; }  // reads need the token here: nothing to retry
        if (!res.ok || !res.body) throw new Error("HTTP " + res.status);
        setConn("live");
        failures = 0;
        var reader = res.body.getReader(), decoder = new TextDecoder(), buffer = "";
        for (;;) {
          var chunk = await reader.read();
          if (chunk.done) break;
          buffer = (buffer + decoder.decode(chunk.value, { stream: true })).replace(/\r\n?/g, "\n");
          var end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            dispatch(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch (err) {
        failures += 1;
      }
      setConn(failures >= 3 ? "offline" : "reconnecting");
      await sleep(Math.min(1000 * Math.pow(2, failures), 15000));
    }
  }

  /* -- live regions ------------------------------------------------------------------------------------------------ */
  var timers = {};
  function refresh(el, delay) {
    var key = el.id || el.getAttribute("data-refresh");
    clearTimeout(timers[key]);
    timers[key] = setTimeout(function () { swap(key); }, delay);
  }
  async function swap(key) {
    var el = document.getElementById(key) || document.querySelector('[data-refresh="' + CSS.escape(key) + '"]');
    if (!el) return;
    var active = document.activeElement;
    if (active && el.contains(active) && active.value) { refresh(el, 2000); return; }  // someone is typing here
    try {
      var res = await fetch(el.getAttribute("data-refresh"), { credentials: "same-origin", cache: "no-store" });
      if (!res.ok) return;
      var fresh = fragment(await res.text());
      if (fresh && el.isConnected) el.replaceWith(fresh);
    } catch (err) { /* the next event tries again */ }
  }
  function refreshAll() {
    document.querySelectorAll("[data-refresh]").forEach(function (el) { refresh(el, 50); });
    if (board) refreshCounts();
  }
  onEvent(function (ev) {
    document.querySelectorAll("[data-refresh]").forEach(function (el) {
      var kinds = (el.getAttribute("data-kinds") || "").split(/\s+/).filter(Boolean);
      if (!matchesKind(ev.kind, kinds)) return;
      var task = el.getAttribute("data-task"), run = el.getAttribute("data-run");
      if (task && ev.task_id !== task) return;
      if (run && ev.run_id !== run) return;
      var tasks = el.getAttribute("data-tasks");
      if (tasks && tasks.split(/\s+/).indexOf(ev.task_id) < 0) return;
      refresh(el, 150);
    });
  });

  /* -- counts: the navigation's approvals badge everywhere, the board's chips and column totals ------------------ */
  var board = document.querySelector("[data-board]");
  var countsTimer = null;
  function refreshCounts() {
    clearTimeout(countsTimer);
    countsTimer = setTimeout(async function () {
      try {
        var res = await fetch("/board/counts", { credentials: "same-origin", cache: "no-store" });
        if (!res.ok) return;
        var body = await res.json();
        var badge = document.getElementById("nav-waiting");
        if (badge) { badge.textContent = body.waiting; badge.hidden = !body.waiting; }
        document.querySelectorAll("[data-status-count]").forEach(function (el) {
          el.textContent = (body.counts[el.getAttribute("data-status-count")] || 0).toLocaleString();
        });
        document.querySelectorAll(".column[data-column]").forEach(function (col) {
          var n = col.querySelector("[data-count]");
          if (n) n.textContent = (body.columns[col.getAttribute("data-column")] || 0).toLocaleString();
        });
        var total = document.querySelector("[data-total]");
        if (total) total.textContent = body.total.toLocaleString();
      } catch (err) { /* next event */ }
    }, 300);
  }
  onEvent(function (ev) {
    var waiting = ev.kind === "task.status" && ev.data && (ev.data.to === "awaiting_approval" || ev.data.from === "awaiting_approval");
    if (waiting || (board && (ev.kind === "task.created" || ev.kind === "task.status" || ev.kind.indexOf("epic.") === 0))) refreshCounts();
  });

  /* -- the board: cards move between columns, graph nodes change colour ------------------------------------------- */
  var cardTimers = {};
  function placeCard(card) {
    var id = card.getAttribute("data-task-id");
    var old = document.getElementById("card-" + id);
    var column = board.querySelector('.column[data-column="' + CSS.escape(card.getAttribute("data-column")) + '"] .cards');
    if (!column) { if (old) old.remove(); return; }
    card.classList.add("flash-in");
    if (old && old.parentElement === column) { old.replaceWith(card); return; }
    if (old) old.remove();
    var prio = Number(card.getAttribute("data-priority"));
    var before = Array.prototype.find.call(column.children, function (c) { return Number(c.getAttribute("data-priority")) > prio; });
    column.insertBefore(card, before || null);
    var empty = column.parentElement.querySelector(".empty");
    if (empty) empty.remove();
  }
  function scheduleCard(id) {
    clearTimeout(cardTimers[id]);
    cardTimers[id] = setTimeout(async function () {
      try {
        var res = await fetch("/board/card/" + encodeURIComponent(id), { credentials: "same-origin", cache: "no-store" });
        if (res.status === 404) { var gone = document.getElementById("card-" + id); if (gone) gone.remove(); return; }
        if (!res.ok) return;
        var card = fragment(await res.text());
        if (card) placeCard(card);
      } catch (err) { /* next event */ }
    }, 120);
  }
  function recolourNode(id, status) {
    document.querySelectorAll('[data-node="' + CSS.escape(id) + '"]').forEach(function (node) {
      node.setAttribute("class", "node st-" + status);
      node.setAttribute("data-status", status);
      var label = node.querySelector(".nst");
      if (label) label.textContent = status.replace(/_/g, " ");
    });
    document.querySelectorAll('.edge[data-from="' + CSS.escape(id) + '"]').forEach(function (edge) {
      edge.setAttribute("class", "edge st-" + status);
    });
  }
  if (board) {
    onEvent(function (ev) {
      if (!ev.task_id || ev.kind === "task.heartbeat") return;
      if (/^(task|run|epic|approval)\./.test(ev.kind)) scheduleCard(ev.task_id);
      if (ev.kind === "task.status" && ev.data && ev.data.to) recolourNode(ev.task_id, ev.data.to);
    });
  }
  document.querySelectorAll("select[data-autosubmit]").forEach(function (sel) {
    sel.addEventListener("change", function () { sel.form.submit(); });
  });

  /* -- a run's log --------------------------------------------------------------------------------------------------- */
  var log = document.getElementById("run-log");
  if (log && log.getAttribute("data-log-stream")) {
    var base = log.getAttribute("data-log-stream").split("?")[0];
    var offset = Number(new URLSearchParams(log.getAttribute("data-log-stream").split("?")[1] || "").get("offset") || 0);
    var followBox = document.getElementById("log-follow");
    var ended = false;
    var stick = function () { if (!followBox || followBox.checked) log.scrollTop = log.scrollHeight; };
    stick();
    var open = function () {
      var source = new EventSource(base + "?offset=" + offset);
      source.addEventListener("log", function (e) {
        var d = JSON.parse(e.data);
        offset = d.offset;
        var empty = document.getElementById("log-empty");
        if (empty) empty.remove();
        log.appendChild(document.createTextNode(d.text));
        if (log.textContent.length > 2000000) log.textContent = log.textContent.slice(-1000000);
        stick();
      });
      source.addEventListener("end", function (e) {
        ended = true;
        source.close();
        var state = document.getElementById("log-state");
        try { if (state) state.textContent = "run " + JSON.parse(e.data).status.replace(/_/g, " "); } catch (err) { /* keep it */ }
      });
      source.onerror = function () {  // reopen from where we are (an EventSource would replay from the first offset)
        source.close();
        if (!ended) setTimeout(open, 2000);
      };
    };
    open();
  }

  /* -- approvals ----------------------------------------------------------------------------------------------------- */
  function flash(text, ok, link) {
    var box = document.getElementById("flash");
    if (!box) return;
    box.textContent = text;
    if (link) {
      var a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      box.appendChild(document.createTextNode(" "));
      box.appendChild(a);
    }
    box.className = "flash " + (ok ? "ok" : "bad");
    box.hidden = false;
  }
  document.addEventListener("submit", async function (e) {
    var form = e.target.closest ? e.target.closest("form[data-api]") : null;
    if (!form || !window.fetch) return;
    e.preventDefault();
    var approve = form.getAttribute("data-action") === "approve";
    var payload = approve ? { note: (form.elements.note.value || "").trim() || null } : { reason: (form.elements.reason.value || "").trim() };
    if (!approve && !payload.reason) { form.elements.reason.focus(); return; }
    var buttons = form.closest("article") ? form.closest("article").querySelectorAll("button") : form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    var label = form.querySelector("button").textContent;
    form.querySelector("button").textContent = approve ? "Approving…" : "Rejecting…";
    try {
      var res = await fetch(form.getAttribute("data-api"), {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(payload),
      });
      var out = await res.json().catch(function () { return {}; });
      if (res.ok) {
        var good = approve ? ["released", "landed", "merged"].indexOf(out.action) >= 0 : true;
        flash(out.id + ": " + out.action + (out.detail ? " — " + out.detail : ""), good);
      } else if (res.status === 401) {
        flash("Approving needs a signed-in browser.", false, { href: "/login?next=" + encodeURIComponent(location.pathname), text: "Sign in" });
      } else {
        flash(out.detail || "failed: HTTP " + res.status, false);
      }
    } catch (err) {
      flash("The server did not answer: " + err.message, false);
    } finally {
      buttons.forEach(function (b) { b.disabled = false; });
      form.querySelector("button").textContent = label;
      var queue = document.getElementById("queue");
      if (queue) { form.reset(); refresh(queue, 0); }
      var region = form.closest("[data-refresh]");  // a plan's phase: redrawn at once, not only when its events arrive
      if (region && region !== queue) refresh(region, 0);
      refreshCounts();
    }
  });

  window.addEventListener("pagehide", function () { setConn("offline"); });
  follow();
})();
