// graphgrad explorer: steps through the forward and backward pass of the inline SVG graph.
// Written by viz/html.py into every page; reads the JSON in #gg-data. Everything that comes
// from the graph (names, labels, numbers) is put into the page with textContent only.
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("gg-data").textContent);
  var svg = document.querySelector("#gg-graph svg");
  var F = data.forward.steps;
  var B = data.backward.steps;
  var nodes = data.nodes;
  var GRAD_FILL = data.grad_color;

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
          ? ["Step 0/" + B.length + ": the forward pass is done, no gradient computed yet.",
             "Step forward (→) to run backward one node at a time, from the output back."]
          : ["This graph has no operation to backpropagate through."]);
      } else {
        var s = B[k - 1];
        mark(s.unit, "gg-active");
        for (var i = 0; i < s.up.length; i++) mark(s.up[i], "gg-up");
        for (var j = 0; j < s.contrib.length; j++) mark(s.contrib[j], "gg-contrib");
        for (var n = 0; n < s.sums.length; n++) mark(s.sums[n], "gg-sum");
        showCaption(s.lines);
      }
    } else if (k === 0) {
      showCaption(["Forward step 0/" + F.length + ": only the inputs are known.",
                   "Step forward (→) to compute one operation at a time."]);
    } else {
      var f = F[k - 1];
      mark(f.unit, "gg-active");
      for (var m = 0; m < f.show.length; m++) mark(f.show[m], "gg-forward");
      showCaption(f.lines);
    }
    slider.max = String(last());
    slider.value = String(k);
    counter.textContent = (mode === "backward" ? "backward step " : "forward step ") + k +
      " / " + last();
    modeButtons.forward.setAttribute("aria-pressed", String(mode === "forward"));
    modeButtons.backward.setAttribute("aria-pressed", String(mode === "backward"));
    if (selected) showPanel(selected);
    for (var li = 0; li < listeners.length; li++) listeners[li]();
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
      backwardTo(0);
      mode = "forward";
      forwardTo(F.length);
    } else {
      forwardTo(F.length);
      mode = "backward";
      backwardTo(0);
    }
    decorate();
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
    row(dl, term, "shape " + s.shape + ", " + s.dtype);
    row(dl, "", s.values);
    if (s.min !== undefined) row(dl, "", "min " + s.min + "   max " + s.max + "   mean " + s.mean);
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
    h.textContent = info.title;
    frag.appendChild(h);
    var kind = document.createElement("p");
    kind.className = "gg-kind";
    kind.textContent = info.kind + (info.op ? " · " + info.op + " (" + info.symbol + ")" : "") +
      (info.scope ? " · scope " + info.scope : "");
    frag.appendChild(kind);
    var dl = document.createElement("dl");
    row(dl, "formula", info.formula);
    row(dl, "local derivative", info.derivative);
    row(dl, "inputs", info.inputs && info.inputs.join(", "));
    row(dl, "", info.detail);
    if (info.value) {
      if (mode === "forward" && info.computed_at > fstep) row(dl, "value", "not computed yet");
      else summaryRows(dl, "value", info.value);
    }
    if (info.value !== undefined) {
      var shownStep = panelLimit === null ? bstep : Math.min(bstep, panelLimit);
      var g = gradientAt(info, mode === "backward" ? shownStep : 0);
      if (g) summaryRows(dl, "gradient", g);
      else if (!info.requires_grad) row(dl, "gradient", "none (requires_grad=False)");
      else row(dl, "gradient", "not computed yet");
    }
    frag.appendChild(dl);
    if (info.doc) {
      var doc = document.createElement("p");
      doc.className = "gg-doc";
      doc.textContent = info.doc;
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

  // ------------------------------------------------------------------ wiring
  function init() {
    var edgesWithGrad = data.backward.edges;
    for (var i = 0; i < edgesWithGrad.length; i++) setGrad(edgesWithGrad[i], null);
    bstep = 0;
    // Small graphs are drawn larger, up to the width of the page.
    var w = parseFloat(svg.getAttribute("width")); // Graphviz writes points: 1pt = 4/3 px
    var h = parseFloat(svg.getAttribute("height"));
    var room = document.getElementById("gg-graph").clientWidth - 16;
    if (w > 0 && h > 0 && room > w * 4 / 3) {
      var scale = Math.min(1.75, room / (w * 4 / 3));
      svg.setAttribute("width", (w * scale).toFixed(1) + "pt");
      svg.setAttribute("height", (h * scale).toFixed(1) + "pt");
    }
    svg.addEventListener("click", function (ev) {
      var g = ev.target.closest && ev.target.closest("g.node");
      if (g && nodes[g.id]) select(g.id);
    });
    function onClick(id, action) {
      document.getElementById(id).addEventListener("click", action);
    }
    onClick("gg-first", function () { go(0); });
    onClick("gg-prev", function () { go(current() - 1); });
    onClick("gg-next", function () { go(current() + 1); });
    onClick("gg-last", function () { go(last()); });
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
      else return;
      ev.preventDefault();
    });
    decorate();
  }

  init();
  // For scripted use (tests, notebooks): the same moves the buttons make.
  window.graphgradExplorer = {
    go: go,
    setMode: setMode,
    select: select,
    state: function () { return { mode: mode, step: current(), last: last() }; },
    // for the quiz (viz/quiz.js): hooks into the stepping, the arrows and the panel
    onChange: function (fn) { listeners.push(fn); },
    setGrad: setGrad,
    stepLines: function (k) { return B[k - 1] ? B[k - 1].lines.slice() : []; },
    setPanelLimit: function (n) {
      if (n === panelLimit) return;
      panelLimit = n;
      if (selected) showPanel(selected);
    }
  };
})();
