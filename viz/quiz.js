// graphgrad quiz: predict the gradients of each backward step (viz.to_html(root, quiz=True)).
// Appended to explorer.js in the same <script>; reads data.quiz from #gg-data and drives the
// explorer through window.graphgradExplorer. Everything from the graph goes in by textContent.
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("gg-data").textContent);
  var Q = data.quiz;
  var ex = window.graphgradExplorer;
  if (!Q || !ex) return;

  // ------------------------------------------------------------------ state
  // One record per question, in step order: tries (wrong answers so far), done, right
  // (right at the first try), shown (revealed by "show answers").
  var all = [];
  var byStep = Q.steps.map(function (qs, s) {
    return qs.map(function (q) {
      var rec = { q: q, step: s + 1, tries: 0, done: false, right: false, shown: false,
                  input: null, mark: null };
      all.push(rec);
      return rec;
    });
  });
  var hintFor = null; // the question whose hint is showing

  function lang() {
    var l = (document.documentElement.getAttribute("lang") || Q.lang || "en").toLowerCase();
    return l.indexOf("zh") === 0 ? "zh" : "en";
  }

  function t(key, fields) {
    var text = Q.text[lang()][key] || Q.text.en[key] || key;
    return text.replace(/\{(\w+)\}/g, function (m, name) {
      return fields && fields[name] !== undefined ? String(fields[name]) : m;
    });
  }

  // ------------------------------------------------------------------ checking
  var NUMBER = /[-+\u2212]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/g;

  function parse(text) {
    var found = String(text).match(NUMBER) || [];
    return found.map(function (s) { return parseFloat(s.replace("\u2212", "-")); });
  }

  function isRight(text, expected) {
    var got = parse(text);
    if (got.length !== expected.length) return false;
    for (var i = 0; i < got.length; i++) {
      if (!(Math.abs(got[i] - expected[i]) <= Q.rtol * Math.abs(expected[i]) + Q.atol)) {
        return false;
      }
    }
    return true;
  }

  // ------------------------------------------------------------------ the page parts
  var caption = document.getElementById("gg-caption");
  var box = document.createElement("section");
  box.id = "gg-quiz";
  box.className = "gg-quiz";
  box.setAttribute("aria-live", "polite");
  caption.parentNode.insertBefore(box, caption.nextSibling);

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  var head = el("div", "gg-quiz-head");
  var ask = el("span", "gg-quiz-ask");
  var scoreLabel = el("span", "gg-quiz-score-label");
  var score = el("span", "gg-quiz-score");
  score.id = "gg-score";
  var showButton = el("button", "gg-quiz-show");
  showButton.type = "button";
  showButton.id = "gg-show-answers";
  head.appendChild(ask);
  head.appendChild(scoreLabel);
  head.appendChild(score);
  head.appendChild(showButton);
  var fields = el("div", "gg-quiz-fields");
  var hint = el("p", "gg-quiz-hint");
  hint.id = "gg-hint";
  var final = el("p", "gg-quiz-final");
  final.id = "gg-final";
  box.appendChild(head);
  box.appendChild(fields);
  box.appendChild(hint);
  box.appendChild(final);

  function solvedThrough() {
    // the leading steps whose every question is done: the panel may show their gradients
    var n = 0;
    while (n < byStep.length && byStep[n].every(function (r) { return r.done; })) n++;
    return n;
  }

  function updateScore() {
    var answered = all.filter(function (r) { return r.done; });
    var right = answered.filter(function (r) { return r.right; }).length;
    score.textContent = right + "/" + answered.length;
    if (all.length && answered.length === all.length) {
      var hinted = [];
      byStep.forEach(function (recs, s) {
        if (recs.some(function (r) { return !r.right; })) hinted.push(String(s + 1));
      });
      final.textContent = t("page.final", { right: right, total: all.length }) + " " +
        (hinted.length ? t("page.final_hints", { steps: hinted.join(", ") }) :
          t("page.no_hints"));
    } else {
      final.textContent = "";
    }
    ex.setPanelLimit(solvedThrough());
  }

  // Gradients on the arrows: an unanswered question's arrow stays blank.
  function maskEdges() {
    var k = ex.state().mode === "backward" ? ex.state().step : 0;
    all.forEach(function (r) {
      if (!r.q.edge) return;
      if (r.done && r.step <= k) ex.setGrad(r.q.edge, r.q.grad);
      else ex.setGrad(r.q.edge, null);
    });
  }

  // While a step has open questions its caption stops before the answers (head, upstream).
  function showCaption(k) {
    var recs = byStep[k - 1] || [];
    var open = recs.some(function (r) { return !r.done; });
    var lines = ex.stepLines(k);
    if (open) lines = lines.slice(0, 2);
    var frag = document.createDocumentFragment();
    lines.forEach(function (line, i) {
      frag.appendChild(el("p", i === 0 ? "gg-caption-head" : "", line));
    });
    caption.replaceChildren(frag);
  }

  function reveal(r, right) {
    r.done = true;
    r.right = right;
    r.input.value = r.q.answer;
    r.input.disabled = true;
    r.mark.textContent = right ? "✓" : (r.shown ? t("page.revealed") : "✓");
    r.mark.className = "gg-quiz-mark " + (right ? "gg-quiz-right" : "gg-quiz-late");
  }

  function check(r) {
    if (r.done) return;
    if (isRight(r.input.value, r.q.expected)) {
      reveal(r, r.tries === 0);
      if (hintFor === r) hintFor = null;
      var next = (byStep[r.step - 1] || []).filter(function (x) { return !x.done; })[0];
      if (next) next.input.focus();
      else r.input.blur(); // the step is done: ← / → step on
    } else {
      r.tries += 1;
      r.mark.textContent = "✗";
      r.mark.className = "gg-quiz-mark gg-quiz-wrong";
      hintFor = r;
    }
    refresh();
  }

  function fieldsFor(k) {
    var frag = document.createDocumentFragment();
    var recs = byStep[k - 1] || [];
    if (k === 0) {
      ask.textContent = "";
    } else if (!recs.length) {
      ask.textContent = t("page.nothing");
    } else {
      ask.textContent = recs.every(function (r) { return r.done; }) ?
        t("page.done_step") : t("page.ask");
    }
    recs.forEach(function (r) {
      var row = el("label", "gg-quiz-row");
      var name = el("span", "gg-quiz-name", r.q.label);
      row.appendChild(name);
      if (r.q.detail) row.appendChild(el("span", "gg-quiz-detail", r.q.detail[lang()]));
      if (!r.input) {
        var input = document.createElement("input");
        input.type = "text";
        input.className = "gg-answer";
        input.setAttribute("data-node", r.q.node);
        input.setAttribute("autocomplete", "off");
        input.setAttribute("spellcheck", "false");
        input.addEventListener("keydown", function (ev) {
          if (ev.key === "Enter") {
            ev.preventDefault();
            check(r);
          }
        });
        r.input = input;
        r.mark = el("span", "gg-quiz-mark");
        r.button = el("button", "gg-quiz-check");
        r.button.type = "button";
        r.button.addEventListener("click", function () { check(r); });
      }
      r.button.textContent = t("page.check");
      r.button.disabled = r.done;
      row.appendChild(r.input);
      row.appendChild(r.button);
      row.appendChild(r.mark);
      frag.appendChild(row);
    });
    fields.replaceChildren(frag);
  }

  function refresh() {
    var st = ex.state();
    var k = st.mode === "backward" ? st.step : 0;
    scoreLabel.textContent = t("page.score") + ":";
    showButton.textContent = t("page.show_answers");
    updateScore();
    maskEdges();
    fieldsFor(k);
    if (k > 0) showCaption(k);
    // first wrong answer: the formula; from the second on: the formula with the numbers
    var r = hintFor;
    hint.textContent = r && !r.done && r.step === k ?
      r.q[r.tries === 1 ? "hint" : "numbers"][lang()] : "";
  }

  showButton.addEventListener("click", function () {
    all.forEach(function (r) {
      if (r.done) return;
      if (!r.input) {
        r.input = document.createElement("input");
        r.input.className = "gg-answer";
        r.input.setAttribute("data-node", r.q.node);
        r.mark = el("span", "gg-quiz-mark");
        r.button = el("button", "gg-quiz-check");
      }
      r.shown = true;
      reveal(r, false);
    });
    hintFor = null;
    refresh();
  });

  ex.onChange(refresh);
  new MutationObserver(refresh).observe(document.documentElement,
    { attributes: true, attributeFilter: ["lang"] });
  refresh();

  // For scripted use (tests): the quiz's state.
  window.graphgradQuiz = {
    score: function () { return score.textContent; },
    questions: function () {
      return all.map(function (r) {
        return { step: r.step, node: r.q.node, done: r.done, right: r.right, tries: r.tries };
      });
    }
  };
})();
