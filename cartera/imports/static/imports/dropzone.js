// Drag-and-drop onto the CFDI upload form: dropped files go into the file input.
(function () {
  document.querySelectorAll("[data-dropzone]").forEach(function (form) {
    var input = form.querySelector("input[type=file]");
    var count = form.querySelector("[data-dropzone-count]");
    function show() { if (count) { count.textContent = input.files.length ? input.files.length + " ✓" : ""; } }
    ["dragenter", "dragover"].forEach(function (name) {
      form.addEventListener(name, function (event) { event.preventDefault(); form.classList.add("dragging"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      form.addEventListener(name, function () { form.classList.remove("dragging"); });
    });
    form.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) { input.files = event.dataTransfer.files; show(); }
    });
    input.addEventListener("change", show);
  });
})();
