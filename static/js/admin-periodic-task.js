/* The admin's periodic task form (templates/admin/djcelery/change_periodictask_form.html): under the crontab
   field, say in words when the chosen schedule runs (django-celery-beat's own behaviour, kept in a file). */
"use strict";
(function () {
  const $ = django.jQuery;
  const originalHelp = document.getElementById("periodic-task-overrides").dataset.crontabHelp;
  const readableCrontabs = JSON.parse(document.getElementById("readable-crontabs").textContent);

  function updateCrontabHelp(additional) {
    const help = document.querySelector(".field-crontab .help");
    if (!help) {
      return;
    }
    if (additional === undefined) {
      help.replaceChildren(document.createTextNode(originalHelp));
    } else {
      help.replaceChildren(document.createTextNode(originalHelp), document.createElement("br"),
                           document.createTextNode(`Translation: ${additional}`));
    }
  }

  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    updateCrontabHelp(readableCrontabs[$("#id_crontab").val()]);
  });
})();
