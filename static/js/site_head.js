/* Runs first, in <head>: marks the page as scripted (class "js" on <html>: the no-JS menu rules in
   observatory.css stop applying) and tells Bootstrap Italia where its fonts are, read from this script's own
   data-public-path attribute (no inline script, for the Content-Security-Policy). */
(function () {
  document.documentElement.classList.add("js");
  var script = document.currentScript;
  if (script && script.dataset.publicPath) {
    window.__PUBLIC_PATH__ = script.dataset.publicPath;
  }
})();
