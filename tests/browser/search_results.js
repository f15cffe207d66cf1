/* Injected by tests/test_search_ko.py into the built search.html (served over HTTP: the snippets are
   fetched): once the search has finished and every result has its snippet (or after 20 s), write
   the results as JSON into a pre element (id aebook-search), which the test reads from Chromium's
   --dump-dom output. */
(function () {
  var waited = 0;
  function report() {
    var items = [].slice.call(document.querySelectorAll("#search-results ul.search > li"));
    var pre = document.createElement("pre");
    pre.id = "aebook-search";
    pre.textContent = JSON.stringify({
      status: (document.querySelector("#search-results .search-summary") || {}).textContent || "",
      results: items.map(function (li) {
        var p = li.querySelector("p.context");
        return {
          href: li.querySelector("a").getAttribute("href"),
          title: li.querySelector("a").textContent,
          snippet: p ? p.textContent : null,
          highlighted: p ? [].map.call(p.querySelectorAll("span.highlighted"), function (s) { return s.textContent; }) : [],
          tags: p ? [].map.call(p.querySelectorAll("*"), function (e) { return e.tagName.toLowerCase(); }) : [],
        };
      }),
    });
    document.body.appendChild(pre);
  }
  function poll() {
    var done = typeof Search !== "undefined" && Search._pulse_status === -1 && Search.status && Search.status.textContent;
    var items = document.querySelectorAll("#search-results ul.search > li");
    var summaries = document.querySelectorAll("#search-results ul.search > li p.context");
    if ((done && summaries.length === items.length) || waited > 20000) return report();
    waited += 100;
    setTimeout(poll, 100);
  }
  window.addEventListener("load", poll);
})();
