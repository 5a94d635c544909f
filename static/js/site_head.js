/* Runs first, in <head>: marks the page as scripted (the no-JS menu rules in observatory.css stop applying)
   and tells Bootstrap Italia where its fonts are, read from <html data-public-path> (no inline script). */
(function () {
  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");
  window.__PUBLIC_PATH__ = root.getAttribute("data-public-path");
})();
