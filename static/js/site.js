/* The site's small enhancements, every one optional: the page works the same without them. */
(function () {
  "use strict";

  // A form held back by the submission limit: move focus to the message that says when to send it.
  var limited = document.getElementById("rate-limited");
  if (limited) { limited.focus(); }

  // Copy and share the tracking code on the thank-you page, where the browser can.
  var actions = document.querySelector(".code-actions");
  if (actions) {
    var message = document.getElementById("code-action-message");
    var say = function (text) { if (message) { message.textContent = text; } };
    var copy = document.getElementById("copy-code");
    if (copy && navigator.clipboard && window.isSecureContext) {
      copy.hidden = false;
      copy.addEventListener("click", function () {
        navigator.clipboard.writeText(actions.dataset.code).then(
          function () { say(actions.dataset.copied); },
          function () { say(actions.dataset.copyFailed); }
        );
      });
    } else if (copy && document.queryCommandSupported && document.queryCommandSupported("copy")) {
      // Plain HTTP (no clipboard API): select the code and copy the selection.
      copy.hidden = false;
      copy.addEventListener("click", function () {
        var code = document.getElementById("tracking-code");
        var range = document.createRange();
        range.selectNodeContents(code);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        say(document.execCommand("copy") ? actions.dataset.copied : actions.dataset.copyFailed);
      });
    }
    var share = document.getElementById("share-code");
    if (share && navigator.share) {
      share.hidden = false;
      share.addEventListener("click", function () {
        navigator.share({ title: actions.dataset.shareTitle, text: actions.dataset.shareTitle, url: actions.dataset.url })
          .catch(function () { /* the person closed the share sheet */ });
      });
    }
  }
})();
