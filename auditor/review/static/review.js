/* auditor review: keyboard-driven grading of one question's answer groups; no page reload per decision.
   Loaded as a file (the CSP allows no inline script). Student text is only ever set as textContent. */
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var page = document.getElementById("page");

  function flash(text, isError) {
    var box = document.getElementById("flash");
    var msg = document.createElement("div");
    msg.className = "msg" + (isError ? " error" : "");
    msg.setAttribute("role", isError ? "alert" : "status");
    msg.textContent = text;
    box.appendChild(msg);
    setTimeout(function () { msg.remove(); }, isError ? 15000 : 3000);
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        return { ok: r.ok, status: r.status, data: data };
      });
    }, function (err) { return { ok: false, status: 0, data: { error: "the review server did not answer: " + err } }; });
  }

  if (!page) { return; }
  var A = page.dataset.assignment, Q = page.dataset.question, MAX = parseFloat(page.dataset.max || "0");
  var cur = -1;

  function groups() { return Array.prototype.slice.call(document.querySelectorAll(".group")); }
  function current() { var gs = groups(); return gs[cur] || null; }
  function focusGroup(i) {
    var gs = groups();
    if (!gs.length) { return; }
    cur = Math.max(0, Math.min(i, gs.length - 1));
    gs.forEach(function (g) { g.classList.remove("current"); });
    gs[cur].classList.add("current");
    gs[cur].focus({ preventScroll: true });
    gs[cur].scrollIntoView({ block: "nearest" });
  }
  function membersOf(g) {
    return Array.prototype.slice.call(g.querySelectorAll(".member"));
  }
  function ticked(g) {
    return Array.prototype.slice.call(g.querySelectorAll(".tick:checked")).map(function (t) { return parseInt(t.value, 10); });
  }
  function rubricToPoints(g) {
    var ticks = Array.prototype.slice.call(g.querySelectorAll(".tick:checked"));
    if (!ticks.length) { return; }
    var values = ticks.map(function (t) { return parseFloat(t.dataset.points || "0"); });
    // deductions only (all negative): counted down from the question's points, else up from 0
    var base = values.every(function (v) { return v < 0; }) ? MAX : 0;
    var sum = values.reduce(function (s, v) { return s + v; }, base);
    if (MAX > 0) { sum = Math.min(MAX, sum); }
    g.querySelector(".points").value = String(Math.max(0, sum));
  }

  function showDecisions(g, decisions) {
    var byFile = {};
    decisions.forEach(function (d) { byFile[d.file] = d; });
    var first = null;
    membersOf(g).forEach(function (li) {
      var d = byFile[li.dataset.file];
      if (!d) { return; }
      first = first || d;
      li.dataset.version = String(d.version);
      li.classList.remove("stale");
      var parts = [(d.points === null ? "\u2014" : d.points) + " pt"];
      if (d.reading) { parts.push("reading " + d.reading.how + ": " + JSON.stringify(d.reading.claimed) + " \u2192 " + d.reading.status); }
      if (d.comment) { parts.push("\u201c" + d.comment + "\u201d"); }
      parts.push("v" + d.version + (d.grader ? " by " + d.grader : ""));
      li.querySelector(".state").textContent = parts.join(" \u00b7 ");
    });
    if (first && first.points !== null) { g.querySelector(".points").value = String(first.points); }
    var n = membersOf(g).length;
    g.querySelector(".decided").textContent = "decided " + n + "/" + n;
    g.classList.add("saved");
  }

  function save(g, extra) {
    if (!g) { return Promise.resolve(false); }
    var body = { assignment: A, question: Q, comment: g.querySelector(".comment").value, rubric: ticked(g),
                 members: membersOf(g).map(function (li) {
                   return { file: li.dataset.file, version: parseInt(li.dataset.version, 10), hash: li.dataset.hash };
                 }) };
    var p = g.querySelector(".points").value;
    if (extra && extra.reading !== undefined) {
      body.reading = extra.reading;
      if (p !== "") { body.points = Number(p); }
    } else {
      body.points = p === "" ? null : Number(p);
    }
    return post("/api/decide", body).then(function (r) {
      if (!r.ok) {
        flash(r.data.error || ("error " + r.status), true);
        g.classList.remove("saved");
        return false;
      }
      showDecisions(g, r.data.decisions);
      flash("saved " + r.data.decisions.length + " answer" + (r.data.decisions.length === 1 ? "" : "s"), false);
      return true;
    });
  }

  function saveAndNext(g, extra) {
    return save(g, extra).then(function (ok) { if (ok) { focusGroup(cur + 1); } return ok; });
  }

  function readingRight(g) { return saveAndNext(g, { reading: "right" }); }
  function readingSet(g) {
    var input = g.querySelector(".claimed");
    if (!input) { return; }
    if (!input.value.trim()) { input.focus(); return; }
    return saveAndNext(g, { reading: input.value });
  }

  function split(g) {
    var files = Array.prototype.slice.call(g.querySelectorAll(".member")).filter(function (li) {
      return li.querySelector(".pick").checked;
    }).map(function (li) { return li.dataset.file; });
    if (!files.length) { flash("pick answers first (x, or their check boxes)", true); return; }
    post("/api/split", { assignment: A, question: Q, files: files }).then(function (r) {
      if (!r.ok) { flash(r.data.error || ("error " + r.status), true); return; }
      window.location.reload();
    });
  }

  function addRubric() {
    var label = document.getElementById("rubric-label"), pts = document.getElementById("rubric-points");
    if (!label.value.trim()) { label.focus(); return; }
    post("/api/rubric", { assignment: A, question: Q, label: label.value, points: Number(pts.value || "0") }).then(function (r) {
      if (!r.ok) { flash(r.data.error || ("error " + r.status), true); return; }
      var item = r.data.item, list = document.getElementById("rubric-list");
      var n = list.children.length + 1;
      var li = document.createElement("li");
      li.dataset.id = String(item.id);
      var k = document.createElement("kbd"); k.textContent = String(n);
      li.appendChild(k); li.appendChild(document.createTextNode(" " + item.label + " (" + (item.points >= 0 ? "+" : "") + item.points + ")"));
      list.appendChild(li);
      groups().forEach(function (g) {
        var lab = document.createElement("label");
        var box = document.createElement("input");
        box.type = "checkbox"; box.className = "tick"; box.value = String(item.id); box.dataset.points = String(item.points);
        var kk = document.createElement("kbd"); kk.textContent = String(n);
        lab.appendChild(box); lab.appendChild(kk); lab.appendChild(document.createTextNode(" " + item.label));
        g.querySelector(".ticks").appendChild(lab);
      });
      label.value = ""; pts.value = "0"; label.blur();
      flash("rubric item " + n + " added", false);
      if (cur < 0) { focusGroup(0); } else { focusGroup(cur); }
    });
  }

  var memberCursor = {};
  function moveMember(g, step) {
    var ms = membersOf(g), i = (memberCursor[g.id] === undefined ? -1 : memberCursor[g.id]) + step;
    i = Math.max(0, Math.min(i, ms.length - 1));
    memberCursor[g.id] = i;
    ms.forEach(function (li) { li.classList.remove("mcur"); });
    ms[i].classList.add("mcur");
    ms[i].scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("change", function (ev) {
    var t = ev.target;
    if (t.classList && t.classList.contains("tick")) { rubricToPoints(t.closest(".group")); }
  });
  document.addEventListener("click", function (ev) {
    var t = ev.target, g = t.closest ? t.closest(".group") : null;
    if (g) { cur = groups().indexOf(g); groups().forEach(function (x) { x.classList.toggle("current", x === g); }); }
    if (!t.classList) { return; }
    if (t.classList.contains("save")) { saveAndNext(g); }
    else if (t.classList.contains("reading-right")) { readingRight(g); }
    else if (t.classList.contains("reading-set")) { readingSet(g); }
    else if (t.classList.contains("split")) { split(g); }
    else if (t.id === "rubric-add") { addRubric(); }
  });

  document.addEventListener("keydown", function (ev) {
    var t = ev.target, tag = (t.tagName || "").toLowerCase();
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    if (tag === "input" || tag === "textarea") {
      if (ev.key === "Escape") { t.blur(); var g0 = current(); if (g0) { g0.focus({ preventScroll: true }); } ev.preventDefault(); return; }
      if (ev.key === "Enter" && !ev.shiftKey && t.type !== "checkbox") {
        ev.preventDefault();
        if (t.id === "rubric-label" || t.id === "rubric-points") { addRubric(); return; }
        var g1 = t.closest(".group");
        if (t.classList.contains("claimed")) { readingSet(g1); } else { saveAndNext(g1); }
        t.blur();
      }
      return;
    }
    var g = current();
    if (ev.key === "j") { focusGroup(cur + 1); }
    else if (ev.key === "k") { focusGroup(cur - 1); }
    else if (ev.key === "a") { document.getElementById("rubric-label").focus(); }
    else if (ev.key === "]" || ev.key === "[") {
      var link = document.getElementById(ev.key === "]" ? "next-question" : "prev-question");
      if (link) { window.location.href = link.href; }
    }
    else if (!g) { if (ev.key === "Enter") { focusGroup(0); } return; }
    else if (/^[1-9]$/.test(ev.key)) {
      var box = g.querySelectorAll(".tick")[parseInt(ev.key, 10) - 1];
      if (box) { box.checked = !box.checked; rubricToPoints(g); }
    }
    else if (ev.key === "p") { g.querySelector(".points").focus(); }
    else if (ev.key === "c") { g.querySelector(".comment").focus(); }
    else if (ev.key === "r" && g.querySelector(".reading-right")) { readingRight(g); }
    else if (ev.key === "w" && g.querySelector(".claimed")) { g.querySelector(".claimed").focus(); }
    else if (ev.key === "ArrowDown") { moveMember(g, 1); }
    else if (ev.key === "ArrowUp") { moveMember(g, -1); }
    else if (ev.key === "x") {
      if (memberCursor[g.id] === undefined) { moveMember(g, 1); }
      var li = membersOf(g)[memberCursor[g.id]];
      var pick = li.querySelector(".pick"); pick.checked = !pick.checked; moveMember(g, 1);
    }
    else if (ev.key === "s") { split(g); }
    else if (ev.key === "Enter") { saveAndNext(g); }
    else { return; }
    ev.preventDefault();
  });

  if (groups().length) { focusGroup(0); }
}());
