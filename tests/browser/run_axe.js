/* Injected by tests/test_a11y.py at the end of a copy of a built page, after axe-core itself:
   once the page has loaded, MathJax (where the page has math) has typeset and the page's own
   scripts have settled, run axe-core over the whole document and write what it found, as JSON, into a pre element (id aebook-axe),
   which the test reads from Chromium's --dump-dom output; inside the tests' harness
   (tests/chromium.py) it posts the JSON to the harness instead. */
(function () {
  var TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];
  function report(result) {
    if (window.parent !== window) { window.parent.postMessage(JSON.stringify(result), '*'); return; }
    var pre = document.createElement('pre');
    pre.id = 'aebook-axe';
    pre.textContent = JSON.stringify(result);
    document.body.appendChild(pre);
  }
  function shorten(node) {
    return {target: node.target, html: (node.html || '').slice(0, 300),
            summary: (node.failureSummary || '').slice(0, 400)};
  }
  function audit() {
    var typeset = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
    Promise.resolve(typeset).then(function () {
      // the theme and aebook.js make the boxes that scroll tab stops a little later (debounced)
      return new Promise(function (resolve) { setTimeout(resolve, 1500); });
    }).then(function () {
      return window.axe.run(document, {runOnly: {type: 'tag', values: TAGS}, resultTypes: ['violations']});
    }).then(function (res) {
      var root = document.documentElement;
      report({lang: root.lang, theme: root.dataset.theme, violations: res.violations.map(function (v) {
        return {id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(shorten)};
      })});
    }).catch(function (err) {
      report({error: String(err && err.stack || err)});
    });
  }
  if (!window.axe) { report({error: 'axe-core was not loaded'}); return; }
  if (document.readyState === 'complete') { audit(); } else { window.addEventListener('load', audit); }
})();
