/* Fast Lead dashboard behaviour: the phone menu, dropdowns, HTMX error notices.
 * Loaded with `defer` on every page; no inline scripts anywhere (CSP script-src 'self'). */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  var body = document.body;

  /* --- Sidebar (phones and narrow tablets) ------------------------------------------- */
  function setSidebar(open) {
    body.classList.toggle("sidebar-open", open);
    var backdrop = document.querySelector(".sidebar-backdrop");
    if (backdrop) backdrop.hidden = !open;
    document.querySelectorAll('[data-action="toggle-sidebar"]').forEach(function (button) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
    });
    if (open) {
      var first = document.querySelector("#sidebar a");
      if (first) first.focus();
    }
  }

  document.addEventListener("click", function (event) {
    var trigger = event.target.closest("[data-action]");
    if (trigger) {
      var action = trigger.getAttribute("data-action");
      if (action === "toggle-sidebar") setSidebar(!body.classList.contains("sidebar-open"));
      if (action === "close-sidebar") setSidebar(false);
      if (action === "dismiss") trigger.closest(".toast, .alert").remove();
    }
    /* Close an open dropdown when clicking elsewhere. */
    document.querySelectorAll("details.dropdown[open]").forEach(function (details) {
      if (!details.contains(event.target)) details.removeAttribute("open");
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    if (body.classList.contains("sidebar-open")) setSidebar(false);
    document.querySelectorAll("details.dropdown[open]").forEach(function (details) {
      details.removeAttribute("open");
      var summary = details.querySelector("summary");
      if (summary) summary.focus();
    });
  });

  /* --- Notices ----------------------------------------------------------------------- */
  function toast(message, kind) {
    var box = document.getElementById("toasts");
    if (!box || !message) return;
    var item = document.createElement("div");
    item.className = "toast toast-" + (kind || "error");
    item.setAttribute("role", kind === "error" ? "alert" : "status");
    var text = document.createElement("span");
    text.textContent = message;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("data-action", "dismiss");
    close.setAttribute("aria-label", "×");
    close.textContent = "×";
    item.appendChild(text);
    item.appendChild(close);
    box.appendChild(item);
    window.setTimeout(function () {
      item.classList.add("toast-hide");
      window.setTimeout(function () { item.remove(); }, 400);
    }, 6000);
  }

  /* Errors the server did not render into the page (403 for a role, 5xx, no network). */
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var type = xhr.getResponseHeader("Content-Type") || "";
    var message = "";
    if (type.indexOf("text/plain") === 0 && xhr.responseText.length < 500) {
      message = xhr.responseText;
    } else if (xhr.status === 403) {
      message = body.dataset.msgForbidden;
    } else {
      message = body.dataset.msgError;
    }
    toast(message, "error");
  });

  document.addEventListener("htmx:sendError", function () {
    toast(body.dataset.msgOffline, "error");
  });

  /* After a swap, move focus to the first message so screen readers announce it. */
  document.addEventListener("htmx:afterSwap", function (event) {
    /* outerHTML swaps replace the target: look the new element up by its id. */
    var id = event.detail.target && event.detail.target.id;
    var swapped = id ? document.getElementById(id) : null;
    var alert = swapped ? swapped.querySelector(".alert") : null;
    if (alert) {
      alert.setAttribute("tabindex", "-1");
      alert.focus({ preventScroll: false });
    }
  });
})();
