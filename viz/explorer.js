// graphgrad explorer: steps through the forward and backward pass of the inline SVG graph.
// Written by viz/html.py into every page; reads the JSON in #gg-data. Everything that comes
// from the graph (names, labels, numbers) is put into the page with textContent only.
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("gg-data").textContent);
  var svg = document.querySelector("#gg-graph svg");

  // ------------------------------------------------------------------ language
  // Every word comes from viz/messages.py: data.messages holds the catalogue's entries the
  // page words itself with; a step, node or title holds its texts in the page's language and,
  // under i18n, what differs in the other. The page opens in viz.to_html(lang=...), else in
  // the first of the browser's preferred languages that is Chinese or English.
  var MESSAGES = data.messages;
  function browserLang() {
    var wanted = navigator.languages && navigator.languages.length ? navigator.languages
      : [navigator.language || "en"];
    for (var i = 0; i < wanted.length; i++) {
      var tag = String(wanted[i]).toLowerCase();
      if (tag === "zh" || tag.indexOf("zh-") === 0) return "zh";
      if (tag === "en" || tag.indexOf("en-") === 0) return "en";
    }
    return "en";
  }
  var lang = data.lang || browserLang();

  // the catalogue's text `key` in the current language, its {fields} filled in
  function t(key, fields) {
    var entry = MESSAGES[key];
    var text = entry ? entry[lang] : key;
    return text.replace(/\{(\w+)\}/g, function (m, name) {
      return fields && fields[name] !== undefined ? String(fields[name]) : m;
    });
  }

  // field `name` of a step, a node or the page, in the current language
  function tr(obj, name) {
    var own = obj.i18n && obj.i18n[lang];
    return own && own[name] !== undefined ? own[name] : obj[name];
  }

  // A step inside the folded part of a big graph comes as its op symbol alone (see
  // viz/html.py); it gets the same one-line caption the frames show.
  function expand(steps, key) {
    return steps.map(function (s, i) {
      if (typeof s !== "string") return s;
      return { unit: "folded", folded: { key: key, k: i + 1, n: steps.length, symbol: s },
               up: [], set: [], contrib: [], sums: [], show: [] };
    });
  }
  var F = expand(data.forward.steps, "caption.folded_forward");
  var B = expand(data.backward.steps, "caption.folded_backward");
  var nodes = data.nodes;
  var GRAD_FILL = data.grad_color;

  function linesOf(step) {
    return step.folded ? [t(step.folded.key, step.folded)] : tr(step, "lines");
  }
  var KIND_KEYS = {
    "operation": "panel.kind_operation", "parameter": "panel.kind_parameter",
    "input / constant": "panel.kind_input", "output": "panel.kind_output",
    "scope": "panel.kind_scope", "folded": "panel.kind_folded"
  };

  // ------------------------------------------------------------------ elements of the SVG
  var elements = new Map();
  function el(id) {
    var found = elements.get(id);
    if (found === undefined) {
      found = document.getElementById(id);
      elements.set(id, found);
    }
    return found;
  }

  // Each edge label is a column of <text>: the value (black) and the gradient (red).
  var labelCache = new Map();
  function labels(edgeId) {
    var found = labelCache.get(edgeId);
    if (found === undefined) {
      found = { value: null, grad: null };
      var g = el(edgeId);
      if (g) {
        var texts = g.getElementsByTagName("text");
        for (var i = 0; i < texts.length; i++) {
          var fill = texts[i].getAttribute("fill");
          if (fill === GRAD_FILL) {
            if (!found.grad) found.grad = texts[i];
          } else if (!fill && !found.value) {
            found.value = texts[i];
          }
        }
      }
      labelCache.set(edgeId, found);
    }
    return found;
  }

  function setGrad(edgeId, text) {
    var t = labels(edgeId).grad;
    if (!t) return;
    if (text === null) {
      t.classList.add("gg-hidden");
    } else {
      if (t.textContent !== text) t.textContent = text;
      t.classList.remove("gg-hidden");
    }
  }

  function setValueShown(edgeId, shown) {
    var t = labels(edgeId).value;
    if (t) t.classList.toggle("gg-hidden", !shown);
  }

  // ------------------------------------------------------------------ state
  // fstep: forward steps done (0..F.length); bstep: backward steps done (0..B.length).
  // A backward step is only ever shown after the whole forward pass (fstep === F.length).
  var fstep = F.length;
  var bstep = B.length; // the SVG is drawn as the last step; init() winds it back
  var mode = "backward";
  var selected = null;
  var marked = [];
  var listeners = []; // called after every move (quiz mode listens)
  var panelLimit = null; // quiz mode: the panel shows gradients up to this step only

  function backwardTo(k) {
    while (bstep < k) {
      var s = B[bstep].set;
      for (var i = 0; i < s.length; i++) setGrad(s[i][0], s[i][1]);
      bstep++;
    }
    while (bstep > k) {
      bstep--;
      var u = B[bstep].set;
      for (var j = u.length - 1; j >= 0; j--) setGrad(u[j][0], u[j][2]);
    }
  }

  function forwardTo(k) {
    while (fstep < k) {
      var s = F[fstep].show;
      for (var i = 0; i < s.length; i++) setValueShown(s[i], true);
      fstep++;
    }
    while (fstep > k) {
      fstep--;
      var u = F[fstep].show;
      for (var j = 0; j < u.length; j++) setValueShown(u[j], false);
    }
  }

  function mark(id, cls) {
    var e = id && el(id);
    if (e) {
      e.classList.add(cls);
      marked.push([e, cls]);
    }
  }

  function clearMarks() {
    for (var i = 0; i < marked.length; i++) marked[i][0].classList.remove(marked[i][1]);
    marked = [];
  }

  function current() {
    return mode === "backward" ? bstep : fstep;
  }

  function last() {
    return mode === "backward" ? B.length : F.length;
  }

  // ------------------------------------------------------------------ drawing one moment
  var caption = document.getElementById("gg-caption");
  var slider = document.getElementById("gg-slider");
  var counter = document.getElementById("gg-counter");
  var modeButtons = {
    forward: document.getElementById("gg-mode-forward"),
    backward: document.getElementById("gg-mode-backward")
  };

  function showCaption(lines) {
    var frag = document.createDocumentFragment();
    for (var i = 0; i < lines.length; i++) {
      var p = document.createElement("p");
      p.textContent = lines[i];
      if (i === 0) p.className = "gg-caption-head";
      frag.appendChild(p);
    }
    caption.replaceChildren(frag);
  }

  function decorate() {
    clearMarks();
    var k = current();
    if (mode === "backward") {
      if (k === 0) {
        showCaption(B.length
          ? [t("caption.backward_start", { n: B.length }), t("caption.backward_start_hint")]
          : [t("caption.backward_none")]);
      } else {
        var s = B[k - 1];
        mark(s.unit, "gg-active");
        for (var i = 0; i < s.up.length; i++) mark(s.up[i], "gg-up");
        for (var j = 0; j < s.contrib.length; j++) mark(s.contrib[j], "gg-contrib");
        for (var n = 0; n < s.sums.length; n++) mark(s.sums[n], "gg-sum");
        showCaption(linesOf(s));
      }
    } else if (k === 0) {
      showCaption([t("caption.forward_start", { n: F.length }), t("caption.forward_start_hint")]);
    } else {
      var f = F[k - 1];
      mark(f.unit, "gg-active");
      for (var m = 0; m < f.show.length; m++) mark(f.show[m], "gg-forward");
      showCaption(linesOf(f));
    }
    slider.max = String(last());
    slider.value = String(k);
    counter.textContent = t(mode === "backward" ? "explorer.counter_backward"
      : "explorer.counter_forward", { k: k, n: last() });
    modeButtons.forward.setAttribute("aria-pressed", String(mode === "forward"));
    modeButtons.backward.setAttribute("aria-pressed", String(mode === "backward"));
    if (selected) showPanel(selected);
    for (var li = 0; li < listeners.length; li++) listeners[li]();
    follow();
  }

  function go(k) {
    k = Math.max(0, Math.min(last(), k | 0));
    if (mode === "backward") backwardTo(k);
    else forwardTo(k);
    decorate();
  }

  function setMode(m) {
    if (m === mode) return;
    // The last forward step and backward step 0 are the same picture: pass through it.
    if (m === "forward") {
      // the forward pass is stepped from its start: only the inputs are known
      backwardTo(0);
      mode = "forward";
      forwardTo(0);
    } else {
      forwardTo(F.length);
      mode = "backward";
      backwardTo(0);
    }
    decorate();
  }

  // ------------------------------------------------------------------ fit, zoom, pan, follow
  // The SVG fills #gg-graph; what it shows is set by its viewBox: `view` is the top-left corner
  // in SVG units and `view.s` the pixels per unit. Nodes are found with getBBox() in the
  // coordinates of Graphviz's top group, mapped to SVG units by that group's transform.
  var box = document.getElementById("gg-graph");
  var full = svg.viewBox.baseVal;
  full = { x: full.x, y: full.y, w: full.width, h: full.height };
  var top = svg.querySelector("g.graph");
  var topMatrix = top && top.transform.baseVal.numberOfItems
    ? top.transform.baseVal.consolidate().matrix : { a: 1, d: 1, e: 0, f: 0 };
  var MAX_SCALE = 1.75 * 4 / 3; // small graphs: up to 1.75x their natural size (1pt = 4/3 px)
  var READABLE = 0.9; // below this many px per unit, 11pt labels are under 10 px: too small
  var PAD = 24; // px kept free around what is brought into view
  var ANIMATION_MS = 250;
  var view = { x: full.x, y: full.y, s: 1 };
  var animation = null;
  var tailOf = {};
  for (var te = 0; te < data.layout.edges.length; te++) {
    tailOf[data.layout.edges[te].id] = data.layout.edges[te].tail;
  }

  function size() {
    return { w: Math.max(1, box.clientWidth), h: Math.max(1, box.clientHeight) };
  }

  function applyView(v) {
    var c = size();
    svg.setAttribute("viewBox", v.x + " " + v.y + " " + c.w / v.s + " " + c.h / v.s);
  }

  function stopAnimation() {
    if (animation) {
      animation.done = true;
      animation = null;
    }
  }

  function setView(target, animate) {
    stopAnimation();
    if (!animate) {
      view = target;
      applyView(view);
      return;
    }
    var from = { x: view.x, y: view.y, s: view.s };
    var a = { done: false, t0: performance.now() };
    animation = a;
    function frame(now) {
      if (a.done) return;
      var t = Math.min(1, (now - a.t0) / ANIMATION_MS);
      var e = t * (2 - t); // ease out
      if (t >= 1) {
        a.done = true;
        if (animation === a) animation = null;
        view = target;
      } else {
        // interpolate the scale geometrically and the centre linearly: a smooth zoom
        var c = size();
        var s = from.s * Math.pow(target.s / from.s, e);
        var cx = (from.x + c.w / 2 / from.s) * (1 - e) + (target.x + c.w / 2 / target.s) * e;
        var cy = (from.y + c.h / 2 / from.s) * (1 - e) + (target.y + c.h / 2 / target.s) * e;
        view = { x: cx - c.w / 2 / s, y: cy - c.h / 2 / s, s: s };
        requestAnimationFrame(frame);
      }
      applyView(view);
    }
    requestAnimationFrame(frame);
    // a hidden tab gets no animation frames: land on the target anyway, well within a second
    setTimeout(function () { if (!a.done) frame(a.t0 + ANIMATION_MS); }, ANIMATION_MS + 150);
  }

  function fitScale() {
    var c = size();
    return Math.min(MAX_SCALE, (c.w - 2 * PAD) / full.w, (c.h - 2 * PAD) / full.h);
  }

  function centredOn(b, s) {
    var c = size();
    return { x: b.x + b.w / 2 - c.w / 2 / s, y: b.y + b.h / 2 - c.h / 2 / s, s: s };
  }

  function fit(animate) {
    setView(centredOn(full, fitScale()), animate);
  }

  function clampScale(s) {
    return Math.max(Math.min(fitScale(), READABLE) / 4, Math.min(MAX_SCALE * 2, s));
  }

  // zoom by `factor`, keeping the point at (px, py) pixels inside the box where it is
  function zoomAt(factor, px, py, animate) {
    var s = clampScale(view.s * factor);
    var ux = view.x + px / view.s;
    var uy = view.y + py / view.s;
    setView({ x: ux - px / s, y: uy - py / s, s: s }, animate);
  }

  function zoom(factor) {
    var c = size();
    zoomAt(factor, c.w / 2, c.h / 2, true);
  }

  var bboxCache = new Map();
  function bboxOf(id) {
    if (bboxCache.has(id)) return bboxCache.get(id);
    var e = id && el(id);
    var b = null;
    if (e && e.getBBox) {
      var r = e.getBBox();
      var m = topMatrix;
      var x1 = m.a * r.x + m.e, x2 = m.a * (r.x + r.width) + m.e;
      var y1 = m.d * r.y + m.f, y2 = m.d * (r.y + r.height) + m.f;
      b = { x: Math.min(x1, x2), y: Math.min(y1, y2), w: Math.abs(x2 - x1), h: Math.abs(y2 - y1) };
    }
    bboxCache.set(id, b);
    return b;
  }

  function union(boxes) {
    var u = null;
    for (var i = 0; i < boxes.length; i++) {
      var b = boxes[i];
      if (!b) continue;
      if (!u) { u = { x: b.x, y: b.y, w: b.w, h: b.h }; continue; }
      var x2 = Math.max(u.x + u.w, b.x + b.w), y2 = Math.max(u.y + u.h, b.y + b.h);
      u.x = Math.min(u.x, b.x);
      u.y = Math.min(u.y, b.y);
      u.w = x2 - u.x;
      u.h = y2 - u.y;
    }
    return u;
  }

  function inside(b, v) {
    var c = size();
    var pad = PAD / v.s;
    return b.x - pad >= v.x && b.y - pad >= v.y &&
      b.x + b.w + pad <= v.x + c.w / v.s && b.y + b.h + pad <= v.y + c.h / v.s;
  }

  function fits(b, s) {
    var c = size();
    return b.w * s + 2 * PAD <= c.w && b.h * s + 2 * PAD <= c.h;
  }

  // What a step is about: the active node, the arrows it reads and writes, and its inputs.
  function focusIds() {
    var k = current();
    var s = mode === "backward" ? (k > 0 ? B[k - 1] : null) : (k > 0 ? F[k - 1] : null);
    if (!s) return null;
    var ids = [s.unit];
    var arrows = mode === "backward" ? s.up.concat(s.contrib) : s.show;
    for (var i = 0; i < arrows.length; i++) {
      ids.push(arrows[i]);
      if (mode === "backward" && s.contrib.indexOf(arrows[i]) >= 0) ids.push(tailOf[arrows[i]]);
    }
    if (mode === "forward") {
      for (var j = 0; j < data.layout.edges.length; j++) {
        var e = data.layout.edges[j];
        if (e.head === s.unit) { ids.push(e.id); ids.push(e.tail); }
      }
    }
    return { active: s.unit, ids: ids };
  }

  // Bring the step into view: the node, its arrows and its inputs (zooming out as far as the
  // whole graph if needed); a view too small to read is zoomed in to READABLE first.
  function follow() {
    var f = focusIds();
    if (!f) return;
    var active = bboxOf(f.active);
    if (!active) return;
    var all = union(f.ids.map(bboxOf)) || active;
    var goal = animation && animation.goal ? animation.goal : view;
    var s = Math.max(goal.s, READABLE);
    if (!fits(all, s)) {
      // zoom out until the inputs fit too, but never below the scale of the whole graph
      var c = size();
      s = Math.max(fitScale(), Math.min((c.w - 2 * PAD) / all.w, (c.h - 2 * PAD) / all.h));
    }
    var target = fits(all, s) ? all : active;
    if (s === goal.s && inside(target, goal)) return;
    var next = centredOn(target, s);
    setView(next, true);
    if (animation) animation.goal = next;
  }

  // ------------------------------------------------------------------ side panel
  var panel = document.getElementById("gg-panel");

  function row(dl, term, text) {
    if (text === undefined || text === null || text === "") return;
    var dt = document.createElement("dt");
    dt.textContent = term;
    var dd = document.createElement("dd");
    dd.textContent = text;
    dl.appendChild(dt);
    dl.appendChild(dd);
  }

  function summaryRows(dl, term, s) {
    if (s.text !== undefined) {
      row(dl, term, s.text);
      return;
    }
    row(dl, term, t("panel.shape", { shape: s.shape, dtype: s.dtype }));
    row(dl, "", s.empty ? t("panel.empty") : s.values);
    if (s.min !== undefined) row(dl, "", t("panel.stats", { min: s.min, max: s.max, mean: s.mean }));
  }

  function gradientAt(info, k) {
    var found = null;
    var h = info.grad || [];
    for (var i = 0; i < h.length && h[i][0] <= k; i++) found = h[i][1];
    return found;
  }

  function showPanel(id) {
    var info = nodes[id];
    if (!info) return;
    var frag = document.createDocumentFragment();
    var h = document.createElement("h2");
    h.textContent = tr(info, "title");
    frag.appendChild(h);
    var kind = document.createElement("p");
    kind.className = "gg-kind";
    kind.textContent = (KIND_KEYS[info.kind] ? t(KIND_KEYS[info.kind]) : info.kind) +
      (info.op ? " · " + tr(info, "op") + " (" + info.symbol + ")" : "") +
      (info.scope ? " · " + t("panel.scope", { scope: info.scope }) : "");
    frag.appendChild(kind);
    var dl = document.createElement("dl");
    var inputs = tr(info, "inputs");
    row(dl, t("panel.formula"), info.formula);
    row(dl, t("panel.derivative"), info.derivative);
    row(dl, t("panel.inputs"), inputs && inputs.join(", "));
    row(dl, "", tr(info, "detail"));
    if (info.value) {
      if (mode === "forward" && info.computed_at > fstep) {
        row(dl, t("panel.value"), t("panel.not_yet"));
      } else {
        summaryRows(dl, t("panel.value"), info.value);
      }
    }
    if (info.value !== undefined) {
      var shownStep = panelLimit === null ? bstep : Math.min(bstep, panelLimit);
      var g = gradientAt(info, mode === "backward" ? shownStep : 0);
      if (g) summaryRows(dl, t("panel.gradient"), g);
      else if (!info.requires_grad) row(dl, t("panel.gradient"), t("panel.no_grad"));
      else row(dl, t("panel.gradient"), t("panel.not_yet"));
    }
    frag.appendChild(dl);
    var docText = tr(info, "doc");
    if (docText) {
      var doc = document.createElement("p");
      doc.className = "gg-doc";
      doc.textContent = docText;
      frag.appendChild(doc);
    }
    panel.replaceChildren(frag);
  }

  function select(id) {
    if (selected) {
      var old = el(selected);
      if (old) old.classList.remove("gg-selected");
    }
    selected = id;
    var e = el(id);
    if (e) e.classList.add("gg-selected");
    showPanel(id);
  }

  // ------------------------------------------------------------------ switching language
  var langButtons = document.querySelectorAll(".gg-lang button");

  // Every word on the page in the current language; the numbers, the step, the selected node
  // and the view stay as they are.
  function applyLang() {
    // (only when it changes: a new lang restyles every text, 0.3 s on a 2,000-node picture)
    var tag = lang === "zh" ? "zh-CN" : "en";
    if (document.documentElement.lang !== tag) document.documentElement.lang = tag;
    var i, els = document.querySelectorAll("[data-msg]");
    for (i = 0; i < els.length; i++) els[i].textContent = t(els[i].getAttribute("data-msg"));
    els = document.querySelectorAll("[data-msg-title]");
    for (i = 0; i < els.length; i++) els[i].title = t(els[i].getAttribute("data-msg-title"));
    els = document.querySelectorAll("[data-msg-label]");
    for (i = 0; i < els.length; i++) {
      els[i].setAttribute("aria-label", t(els[i].getAttribute("data-msg-label")));
    }
    document.title = tr(data, "title");
    document.getElementById("gg-title").textContent = document.title;
    var note = document.getElementById("gg-note");
    note.textContent = tr(data, "note");
    note.hidden = !note.textContent;
    // words drawn inside the picture: the unnamed output marker, the folded box, scope boxes
    for (var id in data.svg_text) {
      var texts = el(id) ? el(id).getElementsByTagName("text") : [];
      var lines = data.svg_text[id][lang];
      if (texts.length !== lines.length) continue; // not drawn as expected: leave it be
      for (i = 0; i < lines.length; i++) texts[i].textContent = lines[i];
    }
    for (i = 0; i < langButtons.length; i++) {
      langButtons[i].setAttribute("aria-pressed",
        String(langButtons[i].getAttribute("data-lang") === lang));
    }
    bboxCache.clear(); // a translated word can change a box's size
    decorate();
  }

  function setLang(l) {
    if (l !== lang && MESSAGES["explorer.forward"][l] !== undefined) {
      lang = l;
      applyLang();
    }
  }

  // ------------------------------------------------------------------ wiring
  function init() {
    var edgesWithGrad = data.backward.edges;
    for (var i = 0; i < edgesWithGrad.length; i++) setGrad(edgesWithGrad[i], null);
    bstep = 0;
    // The picture fills its box; fit, zoom and pan move the viewBox (see "fit, zoom, pan").
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    svg.setAttribute("preserveAspectRatio", "xMinYMin meet");
    fit(false);
    if (window.ResizeObserver) {
      var lastSize = size();
      new ResizeObserver(function () {
        var c = size();
        if (c.w === lastSize.w && c.h === lastSize.h) return;
        var old = lastSize;
        lastSize = c;
        // a running animation already draws each frame at the new size: let it finish
        if (animation) return;
        // keep the centre where it was
        var cx = view.x + old.w / 2 / view.s, cy = view.y + old.h / 2 / view.s;
        view = { x: cx - c.w / 2 / view.s, y: cy - c.h / 2 / view.s, s: view.s };
        applyView(view);
      }).observe(box);
    }
    var dragged = false;
    svg.addEventListener("click", function (ev) {
      if (dragged) return; // the end of a drag is not a click on a node
      var g = ev.target.closest && ev.target.closest("g.node");
      if (g && nodes[g.id]) select(g.id);
    });
    // wheel (and trackpad pinch, which arrives as a wheel event with ctrlKey) zooms at the pointer
    box.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      var r = box.getBoundingClientRect();
      var step = ev.deltaMode === 1 ? ev.deltaY * 16 : ev.deltaY;
      zoomAt(Math.exp(-step * (ev.ctrlKey ? 0.01 : 0.0015)), ev.clientX - r.left,
             ev.clientY - r.top, false);
    }, { passive: false });
    // drag pans; two fingers pinch
    var pointers = new Map();
    var pinch = null;
    box.addEventListener("pointerdown", function (ev) {
      if (ev.button !== 0) return;
      pointers.set(ev.pointerId, { x: ev.clientX, y: ev.clientY, x0: ev.clientX, y0: ev.clientY });
      dragged = false;
      pinch = null;
    });
    box.addEventListener("pointermove", function (ev) {
      var p = pointers.get(ev.pointerId);
      if (!p) return;
      var dx = ev.clientX - p.x, dy = ev.clientY - p.y;
      p.x = ev.clientX;
      p.y = ev.clientY;
      if (Math.abs(p.x - p.x0) + Math.abs(p.y - p.y0) > 4 && !dragged) {
        dragged = true;
        box.setPointerCapture(ev.pointerId);
        box.classList.add("gg-dragging");
      }
      if (!dragged) return;
      if (pointers.size >= 2) {
        var pts = Array.from(pointers.values());
        var d = Math.hypot(pts[0].x - pts[1].x, pts[0].y - pts[1].y);
        var r = box.getBoundingClientRect();
        if (pinch && d > 0) {
          zoomAt(d / pinch, (pts[0].x + pts[1].x) / 2 - r.left, (pts[0].y + pts[1].y) / 2 - r.top,
                 false);
        }
        pinch = d;
        return;
      }
      stopAnimation();
      view = { x: view.x - dx / view.s, y: view.y - dy / view.s, s: view.s };
      applyView(view);
    });
    function release(ev) {
      pointers.delete(ev.pointerId);
      if (pointers.size < 2) pinch = null;
      box.classList.remove("gg-dragging");
      // `dragged` stays set through the click that ends a drag, then clears
      setTimeout(function () { if (!pointers.size) dragged = false; }, 0);
    }
    box.addEventListener("pointerup", release);
    box.addEventListener("pointercancel", release);
    onClick("gg-zoom-in", function () { zoom(1.25); });
    onClick("gg-zoom-out", function () { zoom(0.8); });
    onClick("gg-fit", function () { fit(true); });
    function onClick(id, action) {
      document.getElementById(id).addEventListener("click", action);
    }
    onClick("gg-first", function () { go(0); });
    onClick("gg-prev", function () { go(current() - 1); });
    onClick("gg-next", function () { go(current() + 1); });
    onClick("gg-last", function () { go(last()); });
    Array.prototype.forEach.call(langButtons, function (b) {
      b.addEventListener("click", function () { setLang(b.getAttribute("data-lang")); });
    });
    modeButtons.forward.addEventListener("click", function () { setMode("forward"); });
    modeButtons.backward.addEventListener("click", function () { setMode("backward"); });
    slider.addEventListener("input", function () { go(parseInt(slider.value, 10)); });
    document.addEventListener("keydown", function (ev) {
      var tag = ev.target && ev.target.tagName;
      // the slider moves itself on these keys (and reports it through "input")
      if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
      if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
      var k = current();
      if (ev.key === "ArrowRight") go(k + 1);
      else if (ev.key === "ArrowLeft") go(k - 1);
      else if (ev.key === "Home") go(0);
      else if (ev.key === "End") go(last());
      else if (ev.key === "+" || ev.key === "=") zoom(1.25);
      else if (ev.key === "-" || ev.key === "_") zoom(0.8);
      else if (ev.key === "0") fit(true);
      else return;
      ev.preventDefault();
    });
    applyLang();
  }

  init();
  // For scripted use (tests, notebooks): the same moves the buttons make.
  window.graphgradExplorer = {
    go: go,
    setMode: setMode,
    select: select,
    setLang: setLang,
    lang: function () { return lang; },
    state: function () { return { mode: mode, step: current(), last: last() }; },
    // for the quiz (viz/quiz.js): hooks into the stepping, the arrows and the panel
    onChange: function (fn) { listeners.push(fn); },
    setGrad: setGrad,
    stepLines: function (k) { return B[k - 1] ? linesOf(B[k - 1]).slice() : []; },
    setPanelLimit: function (n) {
      if (n === panelLimit) return;
      panelLimit = n;
      if (selected) showPanel(selected);
    },
    fit: function () { fit(false); },
    zoom: zoom,
    // the current view: SVG units at the top-left, pixels per unit, and whether it is moving
    view: function () {
      return { x: view.x, y: view.y, scale: view.s, fit: fitScale(), moving: animation !== null };
    }
  };
})();
