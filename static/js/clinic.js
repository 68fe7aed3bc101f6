// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  // Show a time in the visitor's own zone next to clinic time, where the two differ.
  function showLocalTimes(root) {
    var visitorZone;
    try {
      visitorZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (e) {
      return;
    }
    root.querySelectorAll("[data-utc][data-zone]").forEach(function (el) {
      if (el.dataset.localShown || !visitorZone || visitorZone === el.dataset.zone) {
        return;
      }
      var when = new Date(el.dataset.utc);
      var format = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", weekday: "short" };
      var text = when.toLocaleString([], Object.assign({ timeZone: visitorZone }, format));
      var clinicText = when.toLocaleString([], Object.assign({ timeZone: el.dataset.zone }, format));
      if (text === clinicText) {
        return; // same wall-clock time (e.g. UTC and London in winter): nothing to add
      }
      var note = document.createElement("span");
      note.className = "local-time";
      note.textContent = " (" + text + " your time)";
      // After the place's own label ("Dubai time"), where there is one, so that the label is
      // read with the clinic's time it names, not with the visitor's.
      var label = el.nextElementSibling;
      if (label && label.classList.contains("zone-label")) {
        label.after(note);
      } else {
        el.appendChild(note);
      }
      el.dataset.localShown = "1";
    });
  }

  // Ask before leaving a half-filled booking form.
  function guardForm(form) {
    var changed = false;
    form.addEventListener("input", function () { changed = true; });
    form.addEventListener("submit", function () { changed = false; });
    window.addEventListener("beforeunload", function (event) {
      if (changed) { event.preventDefault(); }
    });
  }

  // One click books once: disable a confirming button as its form goes.
  function singleSubmit(form) {
    form.addEventListener("submit", function () {
      // After this turn, so that the clicked button's own name and value are still sent.
      window.setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (button) {
          button.disabled = true;
        });
      }, 0);
    });
  }

  // After a refused submit, take the patient to the first answer that needs another look.
  function focusFirstError(root) {
    var invalid = root.querySelector(".is-invalid, .invalid-feedback");
    if (!invalid) { return; }
    var field = invalid.matches("input, select, textarea") ? invalid
      : invalid.closest(".mb-3, fieldset, .row")?.querySelector("input, select, textarea");
    (field || invalid).scrollIntoView({ block: "center" });
    if (field) { field.focus({ preventScroll: true }); }
  }

  // Ask before an action that cannot be undone from the page (e.g. staff cancelling).
  function confirmFirst(form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    });
  }

  // A box with a limit says how much is left once most of it is used: the browser stops the
  // typing (and cuts a paste) at the limit without a word.
  function countDown(box) {
    var limit = parseInt(box.getAttribute("maxlength"), 10);
    if (!limit || box.dataset.counted) { return; }
    box.dataset.counted = "1";
    var note = document.createElement("div");
    note.className = "form-text char-count";
    note.setAttribute("aria-live", "polite");
    box.after(note);
    var cut = false;
    function update() {
      var left = limit - box.value.length;
      if (left > 0) { cut = false; }
      note.textContent = cut ? "Only the first " + limit + " characters fit here: the end of what you pasted was left out."
        : left <= 0 ? "That is as much as this box takes (" + limit + " characters)."
        : (left <= limit / 5 ? left + " characters left." : "Up to " + limit + " characters.");
    }
    box.addEventListener("paste", function (event) {
      var pasted = (event.clipboardData || window.clipboardData).getData("text") || "";
      var room = limit - box.value.length + (box.selectionEnd - box.selectionStart);
      cut = pasted.length > room;
    });
    box.addEventListener("input", update);
    update();
  }

  function enhance(root) {
    root.querySelectorAll("form[data-confirm]").forEach(confirmFirst);
    showLocalTimes(root);
    focusFirstError(root);
    root.querySelectorAll("form[data-guard]").forEach(guardForm);
    root.querySelectorAll("form[data-single-submit]").forEach(singleSubmit);
    root.querySelectorAll("textarea[maxlength]").forEach(countDown);
  }

  // htmx carries "class", "style", "width" and "height" over from an element it replaces to
  // the new one with the same id, for transitions. Writing a style attribute is an inline style,
  // which the Content-Security-Policy refuses (style-src 'self'); no page animates one.
  if (window.htmx) {
    window.htmx.config.attributesToSettle = ["class", "width", "height"];
  }

  // Enter in a field with a button of its own (reception's "Find a patient") presses that
  // button, not the form's first one. On the document, so that fields swapped in by htmx
  // are covered too.
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "Enter" || event.isComposing || !field.matches
        || !field.matches("input[data-enter-presses]")) { return; }
    var button = document.getElementById(field.dataset.enterPresses);
    if (!button) { return; }
    event.preventDefault();
    button.click();
  });

  // The hair-loss questions show the stage pictures of the pattern chosen only (a CSS rule):
  // a picture of the other pattern, chosen before, is let go rather than sent out of sight.
  var scaleHidden = { receding: ".stage-scale-l", parting: ".stage-scale-nh" };
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.name !== "hair_pattern" || !scaleHidden[field.value]) { return; }
    var form = field.form || document;
    form.querySelectorAll(scaleHidden[field.value] + " input[name=stage]:checked")
      .forEach(function (stage) { stage.checked = false; });
  });

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:afterSwap", function (event) { showLocalTimes(event.target); });
})();
