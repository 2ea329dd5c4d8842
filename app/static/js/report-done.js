/* The report's result page: the copy button puts the tracking link on the clipboard
   (navigator.clipboard, or a selected text field and execCommand where that is missing) and says so. */
(function () {
  "use strict";

  function fallbackCopy(text) {
    var field = document.createElement("textarea");
    field.value = text;
    field.setAttribute("readonly", "");
    field.style.position = "fixed";
    field.style.opacity = "0";
    document.body.appendChild(field);
    field.select();
    var copied = false;
    try { copied = document.execCommand("copy"); } catch (error) { copied = false; }
    document.body.removeChild(field);
    return copied ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("copy-link");
    var link = document.getElementById("tracking-link");
    var status = document.getElementById("copy-status");
    if (!button || !link) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = link.getAttribute("href");
      var copying = navigator.clipboard && window.isSecureContext
        ? navigator.clipboard.writeText(text).catch(function () { return fallbackCopy(text); })
        : fallbackCopy(text);
      copying.then(function () {
        status.textContent = button.getAttribute("data-copied");
      }, function () {
        status.textContent = button.getAttribute("data-failed");
      });
    });
  });
}());
