/* Review list: "select all" checks every submitted unit the filter shows. The page works
   without it (each unit has its own box, and "decide all of this filter" needs no script). */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var all = event.target.closest("[data-select-all]");
    if (all) {
      document.querySelectorAll("input[name=rounds]").forEach(function (box) {
        box.checked = all.checked;
      });
    }
    var counter = document.querySelector("[data-selected-count]");
    if (counter) {
      var n = document.querySelectorAll("input[name=rounds]:checked").length;
      counter.textContent = String(n);
    }
  });
})();
