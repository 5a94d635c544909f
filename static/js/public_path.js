// Where Bootstrap Italia loads its fonts from, read from this script element's data-public-path
// (base.html): a static file rather than an inline script, so the Content-Security-Policy needs none.
window.__PUBLIC_PATH__ = document.currentScript.dataset.publicPath;
