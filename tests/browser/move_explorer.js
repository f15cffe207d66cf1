// Injected into a built page (tests/test_browser.py): move each kernel-free explorer's slider
// (aebook.widgets.frames_html) to its last setting, as a drag or the arrow keys end, and report
// which pictures were shown before and after, and what the slider said (posted to the tests'
// harness, tests/chromium.py, when the page is loaded in its iframe).
window.addEventListener('load', function () {
  var out = [];
  document.querySelectorAll('.aebook-explorer').forEach(function (box) {
    var input = box.querySelector('input[type=range]');
    var imgs = Array.prototype.slice.call(box.querySelectorAll('img'));
    function shown() {
      return imgs.map(function (m, i) { return m.offsetWidth > 0 && m.offsetHeight > 0 ? i : -1; })
                 .filter(function (i) { return i >= 0; });
    }
    var r = {n: imgs.length, before: shown(), said: box.querySelector('output').textContent};
    input.value = input.max;
    input.dispatchEvent(new Event('input', {bubbles: true}));
    r.after = shown();
    r.says = box.querySelector('output').textContent;
    r.valuetext = input.getAttribute('aria-valuetext');
    r.label = input.closest('label') ? input.closest('label').textContent.trim() : '';
    out.push(r);
  });
  if (window.parent !== window) { window.parent.postMessage(JSON.stringify(out), '*'); return; }
  var pre = document.createElement('pre');
  pre.id = 'aebook-explorers';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
