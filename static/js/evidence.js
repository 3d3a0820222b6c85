// Graphic evidence: a preview opens blurred; a deliberate second click reveals it.
(function () {
  "use strict";
  document.querySelectorAll("[data-reveal]").forEach(function (button) {
    button.addEventListener("click", function () {
      button.closest(".evidence-preview").classList.add("revealed");
      button.remove();
    });
  });
})();
