/* Dossier editing: instant add/remove of rows, live completeness check, unsaved-change warning.
   Everything here is an enhancement: without JavaScript the same buttons round-trip to the
   server and the checklist updates on save. */
(function () {
  "use strict";
  var form = document.getElementById("dossier-form");
  if (!form) return;
  var checklist = document.getElementById("checklist");
  var dirty = false;
  var timer = null;
  var seq = 0;

  function randomKey() {
    var bytes = new Uint8Array(8);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function rows(group) {
    var container = form.querySelector('[data-group-container="' + group + '"] [data-rows]');
    return container ? Array.prototype.slice.call(container.children) : [];
  }

  // Input names carry the row's index as the server knows it ("outcomes-3-statement"); they
  // may have gaps after a removal, which the server accepts. A new row takes the next one.
  function nextIndex(group) {
    var max = -1;
    var pattern = new RegExp("^" + group + "-(\\d+)-");
    rows(group).forEach(function (row) {
      var named = row.querySelector('[name^="' + group + '-"]');
      var match = named && pattern.exec(named.name);
      if (match && parseInt(match[1], 10) > max) max = parseInt(match[1], 10);
    });
    return max + 1;
  }

  // Row element ids and labels follow the position ("outcomes-0" is LO1), so that the
  // checklist's links ("#outcomes-2" for LO3) land on the right row after adds and removals.
  function relabel(group) {
    var prefix = { outcomes: "LO", assessments: "Assessment ", prerequisites: "Prerequisite ", stackability: "Qualification " }[group];
    rows(group).forEach(function (row, i) {
      row.id = group + "-" + i;
      var label = row.querySelector("[data-row-label]");
      if (label) label.textContent = prefix + (i + 1);
      var hidden = row.querySelector("[data-row-remove] .visually-hidden");
      if (hidden) hidden.textContent = " " + prefix + (i + 1);
    });
  }

  function refreshOutcomeChoices() {
    var outcomes = rows("outcomes").map(function (row, i) {
      var key = row.querySelector('input[name$="-key"]').value;
      var statement = row.querySelector('textarea[name$="-statement"]');
      return { key: key, label: "LO" + (i + 1), title: statement ? statement.value : "" };
    });
    rows("assessments").forEach(function (row) {
      var holder = row.querySelector("[data-outcome-choices] fieldset");
      var keyInput = row.querySelector('input[name$="-key"]');
      var base = keyInput.name.replace(/-key$/, "-outcomes");
      var checked = {};
      holder.querySelectorAll('input[type="checkbox"]').forEach(function (box) { if (box.checked) checked[box.value] = true; });
      holder.querySelectorAll(".choice, [data-no-outcomes]").forEach(function (el) { el.remove(); });
      if (!outcomes.length) {
        var none = document.createElement("span");
        none.className = "muted small";
        none.setAttribute("data-no-outcomes", "");
        none.textContent = "Add learning outcomes first.";
        holder.appendChild(none);
      }
      outcomes.forEach(function (o, i) {
        var span = document.createElement("span");
        span.className = "choice";
        var box = document.createElement("input");
        box.type = "checkbox";
        box.name = base;
        box.value = o.key;
        box.id = base + "-" + i;
        box.checked = !!checked[o.key];
        var label = document.createElement("label");
        label.htmlFor = box.id;
        label.textContent = o.label;
        label.title = o.title;
        span.appendChild(box);
        span.appendChild(document.createTextNode(" "));
        span.appendChild(label);
        holder.appendChild(span);
      });
    });
  }

  function addRow(group) {
    var template = document.querySelector('template[data-row-template="' + group + '"]');
    var index = nextIndex(group);
    var html = template.innerHTML.replace(/__index__/g, String(index));
    var wrapper = document.createElement("div");
    wrapper.innerHTML = html.trim();
    var row = wrapper.firstElementChild;
    var key = row.querySelector('input[name$="-key"]');
    if (key) key.value = randomKey();
    form.querySelector('[data-group-container="' + group + '"] [data-rows]').appendChild(row);
    relabel(group);
    refreshOutcomeChoices();
    var first = row.querySelector("textarea, select, input:not([type=hidden])");
    if (first) first.focus();
    changed();
  }

  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[name=row_action]");
    if (!button) return;
    event.preventDefault();
    var value = button.value;
    if (value.indexOf("add-") === 0) {
      addRow(value.slice(4));
    } else if (value.indexOf("remove-") === 0) {
      var row = button.closest(".repeat-row");
      var group = row.getAttribute("data-group");
      row.remove();
      relabel(group);
      refreshOutcomeChoices();
      // Keep keyboard focus in the group rather than losing it with the removed button.
      var add = form.querySelector('[data-row-add="' + group + '"]');
      if (add) add.focus();
      changed();
    }
  });

  function runCheck() {
    var mine = ++seq;
    var data = new FormData(form);
    fetch(form.getAttribute("data-check-url"), {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) throw new Error("check failed");
      return response.json();
    }).then(function (result) {
      if (mine === seq) checklist.innerHTML = result.html;
    }).catch(function () { /* the checklist refreshes on the next save */ });
  }

  function changed() {
    dirty = true;
    var state = form.querySelector("[data-save-state]");
    if (state) state.textContent = "Unsaved changes";
    window.clearTimeout(timer);
    timer = window.setTimeout(runCheck, 500);
  }

  form.addEventListener("input", function (event) {
    if (event.target.name && /-statement$/.test(event.target.name)) refreshOutcomeChoices();
    changed();
  });
  form.addEventListener("change", changed);
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (event) {
      if (!window.confirm(f.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
})();
