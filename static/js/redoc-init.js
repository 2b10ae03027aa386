// ReDoc at /api/redoc/ (templates/api_docs/redoc.html): the schema URL comes from the page.
(function () {
  var container = document.getElementById("redoc-container");
  if (container && window.Redoc) {
    window.Redoc.init(container.dataset.schemaUrl, {}, container);
  }
})();
