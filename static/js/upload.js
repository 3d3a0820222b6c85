// Upload progress for evidence forms (progressive enhancement: without JavaScript the form
// posts normally). The file is sent as it is; the server hashes it while it streams in.
(function () {
  "use strict";
  document.querySelectorAll("form[data-upload-progress]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var fileInput = form.querySelector("input[type=file]");
      if (!fileInput || !fileInput.files.length || !window.FormData) {
        return;
      }
      event.preventDefault();
      var box = form.querySelector(".upload-progress");
      var bar = form.querySelector("progress");
      var status = form.querySelector("[data-upload-status]");
      var button = form.querySelector("button[type=submit]");
      box.hidden = false;
      button.disabled = true;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action || window.location.href);
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          var percent = Math.floor((e.loaded / e.total) * 100);
          bar.value = percent;
          status.textContent = percent + " %";
        }
      });
      xhr.addEventListener("load", function () {
        // The request followed the redirect, and that GET already showed (and so used up)
        // the page's one-time messages ("E-0001 registered..."): display this response
        // instead of loading the page a second time, then give the address bar its URL.
        var url = xhr.responseURL;
        document.open();
        document.write(xhr.responseText);
        document.close();
        if (url && url !== window.location.href) {
          window.history.replaceState(null, "", url);
        }
      });
      xhr.addEventListener("error", function () {
        button.disabled = false;
        status.textContent = status.dataset.failed || "Upload failed. Nothing was stored; try again.";
      });
      xhr.send(new FormData(form));
    });
  });
})();
