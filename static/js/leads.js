/* Fast Lead leads pages: row selection and the bulk bar, copy buttons, the import mapping.
 * Loaded with `defer` on the leads pages; no inline scripts (CSP script-src 'self').
 * Everything here is an enhancement: without JavaScript the forms still post. */
(function () {
  "use strict";

  /* --- Row selection and the bulk bar ---------------------------------------------------- */
  function rowChecks() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-row-check]"));
  }

  function syncBulk() {
    var form = document.querySelector("[data-bulk-form]");
    if (!form) return;
    var checks = rowChecks();
    var selected = checks.filter(function (box) { return box.checked; }).length;
    var count = form.querySelector("[data-bulk-count]");
    if (count) {
      count.textContent = selected
        ? count.dataset.some.replace("{count}", selected)
        : count.dataset.none;
    }
    var submit = form.querySelector("[data-bulk-submit]");
    if (submit) submit.disabled = selected === 0;
    form.classList.toggle("has-selection", selected > 0);
    var all = document.querySelector("[data-select-all]");
    if (all) {
      all.checked = selected > 0 && selected === checks.length;
      all.indeterminate = selected > 0 && selected < checks.length;
    }
    checks.forEach(function (box) {
      var row = box.closest("tr");
      if (row) row.classList.toggle("is-selected", box.checked);
    });
  }

  function syncBulkAction() {
    var action = document.querySelector("[data-bulk-action]");
    if (!action) return;
    document.querySelectorAll("[data-bulk-for]").forEach(function (select) {
      select.hidden = select.getAttribute("data-bulk-for") !== action.value;
    });
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-select-all]")) {
      rowChecks().forEach(function (box) { box.checked = target.checked; });
      syncBulk();
    } else if (target.matches("[data-row-check]")) {
      syncBulk();
    } else if (target.matches("[data-bulk-action]")) {
      syncBulkAction();
    } else if (target.matches("select[name='target_list']")) {
      syncNewList();
    }
  });

  /* --- Copy buttons ---------------------------------------------------------------------- */
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      var label = button.textContent;
      button.textContent = button.dataset.copied || label;
      window.setTimeout(function () { button.textContent = label; }, 2000);
    });
  });

  /* --- Import mapping: the new list's name only matters for a new list ----------------- */
  function syncNewList() {
    var select = document.querySelector("select[name='target_list']");
    var box = document.querySelector("[data-new-list]");
    if (select && box) box.hidden = select.value !== "new";
  }

  function init() {
    syncBulk();
    syncBulkAction();
    syncNewList();
  }

  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSettle", init);
  if (document.readyState !== "loading") init();
})();
