/* The statistics page's tabs: a click loads the section's HTML fragment (its data-fragment address) into
   its panel once, shows that panel and records the section in the address bar (back and forward work).
   Without JavaScript each tab is a plain link to the page showing that section (?section=NAME). */
"use strict";

(() => {
  const gettext = window.gettext || ((text) => text);
  const nav = document.querySelector("[data-statistics-tabs]");
  if (!nav) {
    return;
  }
  const tabs = Array.from(nav.querySelectorAll("a[data-section]"));
  const sectionField = document.querySelector("[data-statistics-section]");

  function failed(panel, tab) {
    const message = document.createElement("p");
    message.className = "alert alert-warning";
    message.setAttribute("role", "alert");
    message.append(gettext("This section could not be loaded."), " ");
    const link = document.createElement("a");
    link.href = tab.href;
    link.textContent = gettext("Open it as a page");
    message.append(link, ".");
    panel.replaceChildren(message);
  }

  async function load(panel, tab) {
    panel.setAttribute("aria-busy", "true");
    const waiting = document.createElement("p");
    waiting.className = "text-body-secondary";
    waiting.textContent = gettext("Loading…");
    panel.replaceChildren(waiting);
    try {
      const response = await fetch(tab.dataset.fragment, {credentials: "same-origin",
                                                          headers: {"X-Requested-With": "fetch"}});
      if (!response.ok) {
        throw new Error(`HTTP ${response.status}`);
      }
      panel.innerHTML = await response.text();  // our own server's HTML, without scripts
      panel.dataset.loaded = "true";
    } catch (error) {
      failed(panel, tab);
    } finally {
      panel.removeAttribute("aria-busy");
    }
  }

  function show(tab, remember) {
    for (const other of tabs) {
      const chosen = other === tab;
      other.classList.toggle("active", chosen);
      if (chosen) {
        other.setAttribute("aria-current", "page");
      } else {
        other.removeAttribute("aria-current");
      }
      const panel = document.getElementById(other.dataset.panel);
      if (panel) {
        panel.hidden = !chosen;
      }
    }
    if (sectionField) {
      sectionField.value = tab.dataset.section;
    }
    if (remember) {
      history.pushState({section: tab.dataset.section}, "", tab.href);
    }
    const panel = document.getElementById(tab.dataset.panel);
    if (panel && panel.dataset.loaded !== "true") {
      load(panel, tab);
    }
  }

  nav.addEventListener("click", (event) => {
    const tab = event.target.closest("a[data-section]");
    if (!tab || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
      return;  // a new tab or window opens the section as a page
    }
    event.preventDefault();
    show(tab, true);
  });

  window.addEventListener("popstate", () => {
    const name = new URLSearchParams(window.location.search).get("section") || tabs[0].dataset.section;
    const tab = tabs.find((candidate) => candidate.dataset.section === name);
    if (tab) {
      show(tab, false);
    }
  });
})();
