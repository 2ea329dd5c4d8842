/* The task page: render the task's Camunda Form with the vendored form-js viewer, send the
   answer as JSON, show the server's per-field errors, move on to the next task. No inline
   scripts (the Content-Security-Policy forbids them): the schema and data come in JSON blocks. */
(function () {
  "use strict";

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function showErrors(box, message, errors, labels) {
    var list = document.getElementById("task-errors-list");
    document.getElementById("task-errors-message").textContent = message;
    list.textContent = "";
    Object.keys(errors || {}).forEach(function (key) {
      var item = document.createElement("li");
      item.textContent = (labels[key] || key) + ": " + [].concat(errors[key]).join("; ");
      list.appendChild(item);
    });
    box.hidden = false;
    box.focus();
  }

  /* form-js 1.23 has no translation module. Its validator's messages (English only) become the
     server's translations (app/forms/texts.py VIEWER_MESSAGES) by decorating the viewer's own
     `validator` service through additionalModules; its two built-in placeholders ("Select" and
     "Search") are set on the inputs it renders, editing its text node so that it keeps updating. */
  function translatedValidation(texts) {
    var rules = (texts.messages || []).map(function (pair) {
      var source = pair[0].replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace("\\{n\\}", "(.+?)");
      return { pattern: new RegExp("^" + source + "$"), text: pair[1] };
    });
    function translate(message) {
      for (var i = 0; i < rules.length; i++) {
        var found = rules[i].pattern.exec(message);
        if (found) { return rules[i].text.replace("{n}", found[1]); }
      }
      return message;
    }
    function decorate(validator) {
      ["validateField", "validateFieldInstance"].forEach(function (name) {
        var original = validator[name].bind(validator);
        validator[name] = function () { return original.apply(null, arguments).map(translate); };
      });
    }
    decorate.$inject = ["validator"];
    return { __init__: [decorate] };
  }

  function translatedPlaceholders(container, texts) {
    var words = texts.placeholders || {};
    function apply() {
      container.querySelectorAll(".fjs-select-placeholder").forEach(function (node) {
        var text = node.firstChild;
        if (words.select && text && text.nodeType === 3 && text.data === "Select") { text.data = words.select; }
      });
      container.querySelectorAll("input[placeholder=Search]").forEach(function (node) {
        if (words.search) { node.placeholder = words.search; }
      });
    }
    new MutationObserver(apply).observe(container, { childList: true, subtree: true, characterData: true });
    apply();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var container = document.getElementById("task-form");
    var button = document.getElementById("task-submit");
    if (!container) { return; }
    var schema = readJson("task-form-schema");
    var initial = readJson("task-form-data") || {};
    var form = null, ids = {}, labels = {};
    if (schema) {
      (schema.components || []).forEach(function (c) {
        if (c.key) { ids[c.key] = c.id; labels[c.key] = c.label || c.key; }
      });
      var texts = readJson("task-form-texts") || {};
      /* read-only until signed for (签收): the page then offers the 签收 button, not the submit */
      form = new FormViewer.Form({ container: container, additionalModules: [translatedValidation(texts)],
                                   properties: { readOnly: container.dataset.readonly === "true" } });
      translatedPlaceholders(container, texts);
      form.importSchema(schema, initial);
    }
    if (!button) { return; }
    var box = document.getElementById("task-errors");
    box.tabIndex = -1;
    var sending = false;
    button.addEventListener("click", function () {
      if (sending) { return; }  /* a double click sends once; the server refuses a second anyway */
      var data = {};
      if (form) {
        var result = form.submit();
        if (Object.keys(result.errors).length) {
          showErrors(box, container.dataset.clientErrors, {}, labels);
          return;
        }
        data = result.data;
        delete data.unit_choices;
      }
      sending = true;
      button.disabled = true;
      button.dataset.label = button.textContent;
      button.textContent = container.dataset.sending;
      fetch(container.dataset.completeUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": container.dataset.csrf },
        body: JSON.stringify({ data: data })
      }).then(function (response) {
        return response.json().then(function (body) { return { status: response.status, body: body }; });
      }).then(function (answer) {
        if (answer.status === 200) { window.location.assign(answer.body.next); return; }
        var errors = answer.body.errors || {};
        if (form && Object.keys(errors).length) {
          var byId = {};
          Object.keys(errors).forEach(function (key) { if (ids[key]) { byId[ids[key]] = [].concat(errors[key]); } });
          form._setState({ errors: byId });  /* form-js keeps field errors by component id */
        }
        showErrors(box, answer.body.message || container.dataset.failed, errors, labels);
        if (answer.status === 409 && answer.body.next) { button.hidden = true; return; }
        sending = false;
        button.disabled = false;
        button.textContent = button.dataset.label;
      }).catch(function () {
        showErrors(box, container.dataset.failed, {}, labels);
        sending = false;
        button.disabled = false;
        button.textContent = button.dataset.label;
      });
    });
  });
}());
