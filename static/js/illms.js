/* ILLMS page behaviour, kept out of the templates so the Content-Security-Policy allows no inline script. */
"use strict";

/* A form with data-clear-after-request="<field name>" empties that field and puts the cursor back in it
   after each successful htmx request: the barcode scanner is ready for the next scan. */
document.addEventListener("htmx:afterRequest", (event) => {
  const form = event.detail.elt;
  if (!(form instanceof HTMLFormElement) || !form.dataset.clearAfterRequest || !event.detail.successful) {
    return;
  }
  const field = form.elements.namedItem(form.dataset.clearAfterRequest);
  if (field instanceof HTMLInputElement) {
    field.value = "";
    field.focus();
  }
});
