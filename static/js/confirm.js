/* Asks before a destructive action runs: a form marked data-confirm="<what will happen>" (the workflow's
   Transition.confirm) opens a dialog on submit; Confirm posts it with confirmed=1, Go back leaves it unsent.
   The queue's bulk form (data-confirm-bulk) asks when the chosen action's option carries data-confirm, and
   lists the ticked requests. Without JavaScript the server answers the same POST with a confirmation page. */
"use strict";

(() => {
  let dialog = null;

  function build() {
    dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.id = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-dialog-title");
    dialog.setAttribute("aria-describedby", "confirm-dialog-message");
    dialog.innerHTML = `
      <form method="dialog">
        <h2 class="h5" id="confirm-dialog-title"></h2>
        <p id="confirm-dialog-message"></p>
        <ul class="confirm-dialog-requests small"></ul>
        <p class="small text-body-secondary" data-nothing-changed></p>
        <div class="d-flex flex-wrap gap-2 justify-content-end">
          <button class="btn btn-outline-secondary" value="back" type="submit" autofocus data-back-button></button>
          <button class="btn btn-danger" value="confirm" type="submit" data-confirm-button></button>
        </div>
      </form>`;
    dialog.querySelector("[data-nothing-changed]").textContent = gettext("Nothing has changed yet.");
    dialog.querySelector("[data-back-button]").textContent = gettext("Go back");
    document.body.append(dialog);
    return dialog;
  }

  function question(form) {
    if (form.hasAttribute("data-confirm")) {
      return {title: form.dataset.confirmTitle || gettext("Are you sure?"), message: form.dataset.confirm, items: []};
    }
    if (form.hasAttribute("data-confirm-bulk")) {
      const select = form.elements.namedItem("action");
      const option = select instanceof HTMLSelectElement ? select.selectedOptions[0] : null;
      if (!option || !option.dataset.confirm) {
        return null;
      }
      const items = Array.from(form.querySelectorAll('input[name="requests"]:checked'))
        .map((box) => box.dataset.requestLabel || box.getAttribute("aria-label") || box.value);
      return {title: option.textContent.trim(), message: option.dataset.confirm, items};
    }
    return null;
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method === "dialog" || form.elements.namedItem("confirmed")) {
      return;
    }
    const asked = question(form);
    if (!asked || typeof HTMLDialogElement === "undefined") {
      return;  // no dialog support: the server asks on its own page
    }
    event.preventDefault();
    const box = dialog || build();
    box.querySelector("#confirm-dialog-title").textContent = asked.title;
    box.querySelector("#confirm-dialog-message").textContent = asked.message;
    const list = box.querySelector(".confirm-dialog-requests");
    list.replaceChildren(...asked.items.map((text) => {
      const item = document.createElement("li");
      item.textContent = text;
      return item;
    }));
    box.querySelector("[data-confirm-button]").textContent = interpolate(gettext("Confirm: %s"), [asked.title]);
    const submitter = event.submitter;
    box.returnValue = "";
    box.addEventListener("close", () => {
      if (box.returnValue !== "confirm") {
        return;
      }
      const confirmed = document.createElement("input");
      confirmed.type = "hidden";
      confirmed.name = "confirmed";
      confirmed.value = "1";
      form.append(confirmed);
      if (submitter && submitter.form === form) {
        form.requestSubmit(submitter);
      } else {
        form.requestSubmit();
      }
    }, {once: true});
    box.showModal();
  });
})();
