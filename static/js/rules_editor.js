// The rule editor's condition rows: "Add a condition" clones the empty row (Django formset
// numbering); "Remove" hides the row (its DELETE box is sent checked, the server drops it).
(function () {
  "use strict";
  function setup() {
    var rows = document.getElementById("condition-rows");
    var template = document.getElementById("condition-row-template");
    var add = document.querySelector("[data-add-condition]");
    if (!rows || !template || !add) return;
    var prefix = rows.getAttribute("data-prefix");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var max = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
    add.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      if (max && index >= parseInt(max.value, 10)) return;
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var first = rows.lastElementChild.querySelector("input[type=text], input:not([type])");
      if (first) first.focus();
    });
    rows.addEventListener("change", function (event) {
      var box = event.target;
      if (box.name && /-DELETE$/.test(box.name)) {
        box.closest("[data-condition-row]").classList.toggle("condition-removed", box.checked);
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
