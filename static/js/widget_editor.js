/* The widget configurator's live preview: on every change the unsaved settings are sent to
 * the draft endpoint (nothing is saved), and the public config it answers is posted to the
 * preview iframe, where the real widget script renders it (fastlead.js, data-preview).
 * Used by the Widget page and the onboarding wizard; without JavaScript the forms still post. */
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fn, ms);
    };
  }

  function bind(form) {
    var frame = document.getElementById(form.dataset.previewFrame);
    if (!frame) return;
    var lang = (new URL(frame.src, document.baseURI).searchParams.get("lang")) || "ru";
    var pending = null;
    var latest = 0;

    function post(config) {
      pending = config;
      if (frame.contentWindow) {
        frame.contentWindow.postMessage({ type: "fastlead:draft", config: config }, window.location.origin);
      }
    }

    var send = debounce(function () {
      var body = new FormData(form);
      body.set("lang", lang);
      var ticket = ++latest;
      fetch(form.dataset.draftUrl, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (ticket !== latest) return; // an older answer after a newer change
          form.classList.toggle("draft-invalid", !data.config);
          if (data.config) post(data.config);
        })
        .catch(function () { /* the preview just keeps the last good draft */ });
    }, 200);

    form.addEventListener("input", send);
    form.addEventListener("change", send);
    // The frame reloads (language switch, navigation): give it the latest draft again.
    frame.addEventListener("load", function () { if (pending) post(pending); });
  }

  document.querySelectorAll("form[data-draft-url]").forEach(bind);
})();
