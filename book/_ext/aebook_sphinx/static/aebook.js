/* aebook's additions to the web book's theme (added by book/_ext/aebook_sphinx).

   Keyboard access to the boxes that aebook.css makes scroll (display equations and cell outputs
   wider than the column): a box that scrolls is a tab stop (tabindex=0, so that its content can
   be scrolled with the arrow keys), one that fits is not. The theme does the same for code and
   tables, not for these. Checked again when the window is resized and once MathJax has typeset. */
(function () {
  var SCROLLERS = 'div.math, .bd-article .cell_output';
  function update() {
    document.querySelectorAll(SCROLLERS).forEach(function (box) {
      if (box.scrollWidth > box.clientWidth + 1) {
        box.setAttribute('tabindex', '0');
        box.setAttribute('data-aebook-tabstop', '');
      } else if (box.hasAttribute('data-aebook-tabstop')) {
        box.removeAttribute('tabindex');
        box.removeAttribute('data-aebook-tabstop');
      }
    });
  }
  var timer = null;
  function later() { clearTimeout(timer); timer = setTimeout(update, 200); }
  function start() {
    update();
    window.addEventListener('resize', later);
    var mj = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
    if (mj) { mj.then(update); }
  }
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', start); } else { start(); }
  window.addEventListener('load', later);
})();
