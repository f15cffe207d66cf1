// Injected into a built page by tests/test_browser.py: once MathJax has typeset the page,
// measure every display equation against the article column and its own scroll box, and
// write the result into the page (or, inside the test's narrow iframe, into the parent page).
window.addEventListener('load', function () {
  function measure() {
    var art = (document.querySelector('article.bd-article') || document.body).getBoundingClientRect();
    var out = [];
    document.querySelectorAll('mjx-container[display="true"]').forEach(function (m, i) {
      var math = m.querySelector('mjx-math') || m;
      var box = m.closest('div.math') || m;
      var r = math.getBoundingClientRect(), b = box.getBoundingClientRect();
      out.push({
        i: i,
        tex: (box.getAttribute('data-tex') || (m.querySelector('mjx-assistive-mml') || {}).textContent || '').slice(0, 60),
        clip_left: Math.round(Math.max(b.left, art.left) - r.left),   // > 0: the left part cannot be seen
        out_right: Math.round(r.right - art.right),                   // > 0: wider than the column
        box_right: Math.round(b.right - art.right),                   // > 0: the scroll box itself sticks out
        scrolls: box.scrollWidth > box.clientWidth && getComputedStyle(box).overflowX === 'auto'
      });
    });
    var text = JSON.stringify({width: window.innerWidth, eqs: out});
    if (window.parent !== window) { window.parent.postMessage(text, '*'); return; }
    var pre = document.createElement('pre'); pre.id = 'aebook-measure'; pre.textContent = text;
    document.body.appendChild(pre);
  }
  (function wait(n) {
    if (document.querySelectorAll('mjx-container').length > 0 || n > 100) setTimeout(measure, 500);
    else setTimeout(function () { wait(n + 1); }, 100);
  })(0);
});
