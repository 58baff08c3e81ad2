/* graphgrad watch: replays a recorded training run (inlined by viz/watch.py; loads nothing).
 * Every number comes from the page's JSON (#gg-data), computed in Python by the engine.
 * Text is set with textContent only, so names and labels can never become markup. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("gg-data").textContent);
  var snaps = data.snapshots;
  var SVGNS = "http://www.w3.org/2000/svg";
  var COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2",
                "#ca8a04", "#db2777", "#4b5563", "#65a30d"];
  var LINE = { train: "#1d4ed8", test: "#ea580c", batch: "#cbd5e1" };

  var scrubber = document.getElementById("gg-scrubber");
  var playButton = document.getElementById("gg-play");
  var canvas = document.getElementById("gg-boundary");
  var ctx = canvas.getContext("2d");
  var current = 0;
  var chosen = 0;          // index into data.examples
  var timer = null;

  function browserLang() {
    var langs = navigator.languages && navigator.languages.length ? navigator.languages
      : [navigator.language || "en"];
    return String(langs[0]).toLowerCase().indexOf("zh") === 0 ? "zh" : "en";
  }
  var lang = data.lang || browserLang();

  function t(key, fields) {
    var entry = data.messages[key] || {};
    var text = entry[lang] || entry.en || key;
    return text.replace(/\{(\w+)\}/g, function (m, name) {
      return fields && name in fields ? String(fields[name]) : m;
    });
  }

  // ------------------------------------------------------------------ the plane
  var b = data.bounds;  // [xmin, xmax, ymin, ymax]
  function px(x) { return (x - b[0]) / (b[1] - b[0]) * canvas.width; }
  function py(y) { return canvas.height - (y - b[2]) / (b[3] - b[2]) * canvas.height; }

  // The regions are painted one pixel per grid cell on a small canvas, then scaled up, so no
  // seams show between cells.
  var cells = document.createElement("canvas");
  cells.width = cells.height = data.grid;
  var cellsCtx = cells.getContext("2d");
  function hexRGB(hex) {
    return [1, 3, 5].map(function (i) { return parseInt(hex.slice(i, i + 2), 16); });
  }
  function drawBoundary(snap) {
    var n = data.grid;
    var img = cellsCtx.createImageData(n, n);
    for (var r = 0; r < n; r++) {          // grid row 0 is the bottom of the plane
      for (var c = 0; c < n; c++) {
        var k = r * n + c;
        var rgb = hexRGB(COLORS[(snap.regions.charCodeAt(k) - 48) % COLORS.length]);
        var alpha = 0.12 + 0.045 * (snap.confidence.charCodeAt(k) - 48);
        var o = ((n - 1 - r) * n + c) * 4;
        for (var j = 0; j < 3; j++) img.data[o + j] = Math.round(255 - alpha * (255 - rgb[j]));
        img.data[o + 3] = 255;
      }
    }
    cellsCtx.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(cells, 0, 0, canvas.width, canvas.height);
    ctx.globalAlpha = 1;
    data.points.forEach(function (p) {
      ctx.beginPath();
      ctx.arc(px(p[0]), py(p[1]), 3, 0, 2 * Math.PI);
      ctx.fillStyle = COLORS[p[2] % COLORS.length];
      ctx.fill();
      ctx.lineWidth = 0.8;
      ctx.strokeStyle = "#fff";
      ctx.stroke();
    });
    data.examples.forEach(function (i, e) {
      var p = data.points[i];
      ctx.beginPath();
      ctx.arc(px(p[0]), py(p[1]), e === chosen ? 8 : 5.5, 0, 2 * Math.PI);
      ctx.lineWidth = e === chosen ? 2.5 : 1.2;
      ctx.strokeStyle = "#111827";
      ctx.stroke();
    });
  }

  canvas.addEventListener("click", function (ev) {
    var rect = canvas.getBoundingClientRect();
    var x = (ev.clientX - rect.left) * canvas.width / rect.width;
    var y = (ev.clientY - rect.top) * canvas.height / rect.height;
    var best = 0, bestD = Infinity;
    data.examples.forEach(function (i, e) {
      var p = data.points[i];
      var d = Math.pow(px(p[0]) - x, 2) + Math.pow(py(p[1]) - y, 2);
      if (d < bestD) { bestD = d; best = e; }
    });
    chosen = best;
    render();
  });

  // ------------------------------------------------------------------ charts
  function el(name, attrs, parent, text) {
    var node = document.createElementNS(SVGNS, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  var lastStep = snaps[snaps.length - 1].step;
  function sx(step, box) {   // log scale over steps, step 0 at the left edge
    return box.x + Math.log10(step + 1) / Math.log10(lastStep + 1) * box.w;
  }
  function scale(lo, hi, log, box) {
    if (log) { lo = Math.log10(lo); hi = Math.log10(hi); }
    if (hi - lo < 1e-12) { hi = lo + 1; }
    return function (v) {
      var u = log ? Math.log10(Math.max(v, 1e-12)) : v;
      return box.y + box.h - (u - lo) / (hi - lo) * box.h;
    };
  }
  function polyline(svg, pts, color, width, cls) {
    el("polyline", { points: pts.map(function (p) { return p[0].toFixed(1) + "," + p[1].toFixed(1); }).join(" "),
      fill: "none", stroke: color, "stroke-width": width, "class": cls || "" }, svg);
  }
  function frame(svg, box, title, ylabels) {
    el("rect", { x: box.x, y: box.y, width: box.w, height: box.h, fill: "none",
      stroke: "#d1d5db" }, svg);
    el("text", { x: box.x, y: box.y - 5, "class": "gg-axis-title" }, svg, title);
    ylabels.forEach(function (l) {
      el("text", { x: box.x - 4, y: l[1] + 4, "text-anchor": "end", "class": "gg-tick" }, svg, l[0]);
    });
    [0, 1, 10, 100, 1000, 10000, 100000].forEach(function (s) {
      if (s > lastStep) return;
      el("text", { x: sx(s, box), y: box.y + box.h + 13, "text-anchor": "middle",
        "class": "gg-tick" }, svg, String(s));
    });
  }
  function marker(svg, box) {
    return el("line", { y1: box.y, y2: box.y + box.h, "class": "gg-marker" }, svg);
  }
  function legend(svg, x, y, items) {
    items.forEach(function (it, i) {
      el("line", { x1: x, x2: x + 16, y1: y + i * 14, y2: y + i * 14, stroke: it[1],
        "stroke-width": 2 }, svg);
      el("text", { x: x + 20, y: y + i * 14 + 4, "class": "gg-tick" }, svg, it[0]);
    });
  }

  var curves = document.getElementById("gg-curves");
  var grads = document.getElementById("gg-grads");
  var markers = [];

  function drawCurves() {
    curves.textContent = "";
    markers = [];
    var lossBox = { x: 48, y: 18, w: 360, h: 120 };
    var accBox = { x: 48, y: 182, w: 360, h: 120 };
    var losses = data.batch_losses.concat(snaps.map(function (s) { return s.test_loss; }),
      snaps.map(function (s) { return s.train_loss; }));
    var lo = Math.max(Math.min.apply(null, losses), 1e-4), hi = Math.max.apply(null, losses);
    var ly = scale(lo, hi, true, lossBox);
    frame(curves, lossBox, t("watch.loss"), [[lo.toPrecision(2), ly(lo)], [hi.toPrecision(2), ly(hi)]]);
    // the loss of each step's batch, thinned to at most ~400 points
    var every = Math.max(1, Math.floor(data.batch_losses.length / 400));
    var pts = [];
    for (var i = 0; i < data.batch_losses.length; i += every) {
      pts.push([sx(i, lossBox), ly(data.batch_losses[i])]);
    }
    polyline(curves, pts, LINE.batch, 1);
    ["train", "test"].forEach(function (which) {
      polyline(curves, snaps.map(function (s) { return [sx(s.step, lossBox), ly(s[which + "_loss"])]; }),
        LINE[which], 1.8);
    });
    var ay = scale(0, 1, false, accBox);
    frame(curves, accBox, t("watch.accuracy"), [["0", ay(0)], ["1", ay(1)]]);
    ["train", "test"].forEach(function (which) {
      polyline(curves, snaps.map(function (s) { return [sx(s.step, accBox), ay(s[which + "_acc"])]; }),
        LINE[which], 1.8);
    });
    legend(curves, 290, 40, [[t("watch.train"), LINE.train], [t("watch.test"), LINE.test],
      [t("watch.batch"), LINE.batch]]);
    markers.push([marker(curves, lossBox), lossBox], [marker(curves, accBox), accBox]);

    grads.textContent = "";
    var gBox = { x: 48, y: 18, w: 360, h: 150 };
    var all = [];
    snaps.forEach(function (s) { all = all.concat(s.grad_norms); });
    var positive = all.filter(function (v) { return v > 0; });
    var glo = positive.length ? Math.min.apply(null, positive) : 1e-6;
    var ghi = positive.length ? Math.max.apply(null, positive) : 1;
    var gy = scale(glo, ghi, true, gBox);
    frame(grads, gBox, "‖∂L/∂W‖", [[glo.toPrecision(2), gy(glo)], [ghi.toPrecision(2), gy(ghi)]]);
    data.layers.forEach(function (name, l) {
      polyline(grads, snaps.map(function (s) { return [sx(s.step, gBox), gy(s.grad_norms[l])]; }),
        COLORS[(l + 3) % COLORS.length], 1.8);
    });
    legend(grads, 340, 30, data.layers.map(function (name, l) {
      return [name, COLORS[(l + 3) % COLORS.length]];
    }));
    markers.push([marker(grads, gBox), gBox]);
  }

  var hists = document.getElementById("gg-hists");
  function drawHists(snap) {
    hists.textContent = "";
    data.hidden_names.forEach(function (name, l) {
      var svg = el("svg", { viewBox: "0 0 200 110", "class": "gg-hist", role: "img" }, hists);
      var box = { x: 10, y: 16, w: 180, h: 74 };
      var bins = snap.hist[l];
      var top = Math.max.apply(null, bins.concat([1e-9]));
      var w = box.w / bins.length;
      el("text", { x: box.x, y: 11, "class": "gg-axis-title" }, svg, name);
      bins.forEach(function (f, i) {
        var h = f / top * box.h;
        el("rect", { x: box.x + i * w + 0.5, y: box.y + box.h - h, width: w - 1, height: h,
          fill: "#60a5fa" }, svg);
      });
      var range = data.hist_ranges[l];
      el("text", { x: box.x, y: box.y + box.h + 13, "class": "gg-tick" }, svg, String(range[0]));
      el("text", { x: box.x + box.w, y: box.y + box.h + 13, "text-anchor": "end",
        "class": "gg-tick" }, svg, String(range[1]));
    });
  }

  // ------------------------------------------------------------------ the example's graph
  var example = data.example;
  var edgeTexts = example.edges.map(function (id) {
    var g = document.getElementById(id);
    return g ? Array.prototype.slice.call(g.getElementsByTagName("text")) : [];
  });
  function drawExample(k) {
    var labels = example.labels[k][chosen];
    edgeTexts.forEach(function (texts, e) {
      var rows = [example.strings[labels[2 * e]], example.strings[labels[2 * e + 1]]]
        .filter(function (s) { return s !== ""; });
      texts.forEach(function (node, r) { node.textContent = r < rows.length ? rows[r] : ""; });
    });
    var i = data.examples[chosen];
    var p = data.points[i];
    document.getElementById("gg-example-caption").textContent = t("watch.example_caption", {
      index: i, label: p[2], pred: example.pred[k][chosen],
      loss: example.strings[labels[labels.length - 2]]
    });
  }

  // ------------------------------------------------------------------ one step
  function render() {
    var snap = snaps[current];
    drawBoundary(snap);
    drawHists(snap);
    drawExample(current);
    markers.forEach(function (m) {
      var x = sx(snap.step, m[1]).toFixed(1);
      m[0].setAttribute("x1", x);
      m[0].setAttribute("x2", x);
    });
    document.getElementById("gg-step").textContent = t("watch.step",
      { step: snap.step, steps: lastStep });
    scrubber.value = String(current);
  }

  function show(k) {
    current = Math.max(0, Math.min(snaps.length - 1, k));
    render();
  }

  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    playButton.textContent = t("watch.play");
  }
  function play() {
    if (current >= snaps.length - 1) show(0);
    playButton.textContent = t("watch.pause");
    timer = setInterval(function () {
      if (current >= snaps.length - 1) { stop(); return; }
      show(current + 1);
    }, 450);
  }
  playButton.addEventListener("click", function () { if (timer === null) play(); else stop(); });
  ["input", "change"].forEach(function (type) {
    scrubber.addEventListener(type, function () { stop(); show(parseInt(scrubber.value, 10)); });
  });

  // ------------------------------------------------------------------ language
  function applyLang() {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    Array.prototype.forEach.call(document.querySelectorAll("[data-msg]"), function (node) {
      node.textContent = t(node.getAttribute("data-msg"));
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-msg-label]"), function (node) {
      node.setAttribute("aria-label", t(node.getAttribute("data-msg-label")));
    });
    Array.prototype.forEach.call(document.querySelectorAll(".gg-lang button"), function (btn) {
      btn.setAttribute("aria-pressed", btn.getAttribute("data-lang") === lang ? "true" : "false");
    });
    document.title = t("watch.title");
    document.getElementById("gg-summary").textContent = t("watch.summary", {
      train: data.final.train_acc, test: data.final.test_acc
    });
    playButton.textContent = t(timer === null ? "watch.play" : "watch.pause");
    drawCurves();
    render();
  }
  Array.prototype.forEach.call(document.querySelectorAll(".gg-lang button"), function (btn) {
    btn.addEventListener("click", function () { lang = btn.getAttribute("data-lang"); applyLang(); });
  });

  applyLang();
  document.body.setAttribute("data-ready", "1");
})();
