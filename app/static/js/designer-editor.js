/* The workbench editor: the bpmn-js Modeler with the Camunda properties panel, the form-js editor
   for the bundle's forms, pickers that insert catalogue values into the selected element, and
   validate / deploy of the whole bundle (BPMN + forms) through the /designer endpoints. */
(function () {
  "use strict";
  var H = window.HuiyinBpmn;

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("designer-editor");
    if (!root) { return; }
    var msg = root.dataset;
    var status = document.getElementById("picker-status");
    var modeler = new H.BpmnModeler({
      container: document.getElementById("modeler-canvas"),
      propertiesPanel: { parent: document.getElementById("modeler-properties") },
      additionalModules: [H.BpmnPropertiesPanelModule, H.BpmnPropertiesProviderModule,
        H.CamundaPlatformPropertiesProviderModule, H.CamundaBehaviorsModule],
      moddleExtensions: { camunda: H.camundaModdle }
    });
    var modeling = modeler.get("modeling"), moddle = modeler.get("moddle");
    var selection = modeler.get("selection"), registry = modeler.get("elementRegistry");
    var canvas = modeler.get("canvas");
    var formEditor = new FormEditor.FormEditor({ container: document.getElementById("form-editor") });
    var forms = {}, currentForm = null;
    var choice = document.getElementById("form-choice");

    function say(text) { status.textContent = text; }

    function selected(kind, needs) {
      var element = selection.get()[0];
      if (!element) { say(msg.msgSelect); return null; }
      if (kind && !kind(element)) { say(needs); return null; }
      return element;
    }
    function isType(type) { return function (element) { return element.businessObject.$instanceOf(type); }; }
    function isTimer(element) {
      var definitions = element.businessObject.eventDefinitions || [];
      return definitions.length && definitions[0].$instanceOf("bpmn:TimerEventDefinition");
    }
    function done(element) { say(msg.msgInserted + " " + element.id); }

    /* --- forms -------------------------------------------------------------------------------- */
    function keepCurrentForm() {
      return currentForm ? formEditor.saveSchema() : null;
    }
    function saveForms() {
      var kept = keepCurrentForm();
      if (kept) { forms[currentForm] = kept; }
      var out = {};
      Object.keys(forms).forEach(function (id) { out[id] = JSON.stringify(forms[id], null, 2); });
      return out;
    }
    function listForms() {
      choice.textContent = "";
      Object.keys(forms).sort().forEach(function (id) {
        var option = document.createElement("option");
        option.value = id;
        option.textContent = id;
        choice.appendChild(option);
      });
      if (currentForm) { choice.value = currentForm; }
    }
    function openForm(id) {
      var kept = keepCurrentForm();
      if (kept) { forms[currentForm] = kept; }
      currentForm = id;
      listForms();
      return formEditor.importSchema(forms[id]).then(function () { root.dataset.form = id; });
    }
    choice.addEventListener("change", function () { openForm(choice.value); });
    document.getElementById("form-new").addEventListener("click", function () {
      var input = document.getElementById("form-new-id");
      var id = input.value.trim();
      if (!/^[A-Za-z0-9_-]+$/.test(id)) { say(msg.msgFormId); input.focus(); return; }
      if (forms[id]) { say(msg.msgFormExists); return; }
      forms[id] = { type: "default", id: id, schemaVersion: 16, components: [] };
      input.value = "";
      openForm(id);
    });
    document.getElementById("form-use").addEventListener("click", function () {
      var element = selected(isType("bpmn:UserTask"), msg.msgNeedsUserTask);
      if (!element || !currentForm) { return; }
      modeling.updateProperties(element, { "camunda:formRef": currentForm, "camunda:formRefBinding": "latest" });
      done(element);
    });

    /* --- pickers ------------------------------------------------------------------------------ */
    function pickerItem(list, label, title, onPick) {
      var li = document.createElement("li"), button = document.createElement("button");
      button.type = "button";
      button.textContent = label;
      button.title = title || "";
      button.addEventListener("click", onPick);
      li.appendChild(button);
      list.appendChild(li);
    }
    function setPhase(code) {
      var element = selected(isTimer, msg.msgNeedsTimer);
      if (!element) { return; }
      var timer = element.businessObject.eventDefinitions[0];
      var expression = moddle.create("bpmn:FormalExpression", { body: "deadline('" + code + "')" });
      modeling.updateModdleProperties(element, timer, { timeDate: expression, timeDuration: undefined, timeCycle: undefined });
      done(element);
    }
    function setRole(code) {
      var element = selected(isType("bpmn:UserTask"), msg.msgNeedsUserTask);
      if (!element) { return; }
      modeling.updateProperties(element, { "camunda:candidateGroups": code });
      done(element);
    }
    function addCall(fn) {
      var element = selected(isType("bpmn:ScriptTask"), msg.msgNeedsScript);
      if (!element) { return; }
      var script = element.businessObject.script;
      var call = fn.name + "(" + parameterNames(fn.params).join(", ") + ")";
      modeling.updateProperties(element, { scriptFormat: "python", script: (script ? script + "\n" : "") + call });
      done(element);
    }
    /* "(phase: str, part: str = 'due')" -> ["phase", "part"] */
    function parameterNames(signature) {
      var inside = String(signature).replace(/^\(|\)(\s*->.*)?$/g, "");
      return inside.split(",").map(function (p) { return p.split(/[:=]/)[0].trim(); })
        .filter(function (p) { return p && p !== "*" && p !== "/"; });
    }
    function setMeaning(kind, value) {
      var element = selected();
      if (!element) { return; }
      property(element, kind, value);
      done(element);
    }
    function property(element, name, value) {
      var bo = element.businessObject;
      var extensions = bo.extensionElements;
      if (!extensions) {
        extensions = moddle.create("bpmn:ExtensionElements", { values: [] });
        modeling.updateProperties(element, { extensionElements: extensions });
      }
      var props = (extensions.values || []).filter(function (v) { return v.$instanceOf("camunda:Properties"); })[0];
      if (!props) {
        props = moddle.create("camunda:Properties", { values: [] });
        modeling.updateModdleProperties(element, extensions, { values: (extensions.values || []).concat([props]) });
      }
      var found = (props.values || []).filter(function (p) { return p.name === name; })[0];
      if (found) {
        modeling.updateModdleProperties(element, found, { value: value });
      } else {
        var created = moddle.create("camunda:Property", { name: name, value: value });
        modeling.updateModdleProperties(element, props, { values: (props.values || []).concat([created]) });
      }
    }
    function actionOptions(element) {
      var bo = element.businessObject;
      var key = bo.get("camunda:formRef") || bo.get("camunda:formKey");
      var kept = keepCurrentForm();
      if (kept) { forms[currentForm] = kept; }
      var form = key && forms[key];
      var field = form && (form.components || []).filter(function (c) { return c.key === "action"; })[0];
      return field && field.values ? field.values : null;
    }
    var actionsBox = document.getElementById("picker-actions");
    modeler.on("selection.changed", function () {
      actionsBox.textContent = "";
      var element = selection.get()[0];
      if (!element || !isType("bpmn:UserTask")(element)) { return; }
      (actionOptions(element) || []).forEach(function (option) {
        var label = document.createElement("label"), box = document.createElement("input");
        box.type = "checkbox";
        box.value = option.value;
        label.appendChild(box);
        label.appendChild(document.createTextNode(" " + (option.label || option.value) + " (" + option.value + ")"));
        actionsBox.appendChild(label);
      });
    });
    document.getElementById("picker-actions-insert").addEventListener("click", function () {
      var element = selected(isType("bpmn:UserTask"), msg.msgNeedsUserTask);
      if (!element) { return; }
      if (!actionOptions(element)) { say(msg.msgNeedsForm); return; }
      var chosen = Array.prototype.map.call(actionsBox.querySelectorAll("input:checked"), function (box) {
        return "'" + box.value.replace(/'/g, "") + "'";
      });
      property(element, "allowedActions", "[" + chosen.join(", ") + "]");
      done(element);
    });

    /* --- validate and deploy ------------------------------------------------------------------ */
    var result = document.getElementById("bundle-result"), problems = document.getElementById("bundle-problems");
    /* The shape a problem's element id belongs to: itself, or the event whose definition it is
       (a timer's timerEventDefinition has an id of its own). */
    function diagramElement(id) {
      return registry.get(id) || registry.filter(function (element) {
        return (element.businessObject.eventDefinitions || []).some(function (d) { return d.id === id; });
      })[0];
    }
    function showProblems(list) {
      problems.textContent = "";
      registry.getAll().forEach(function (element) { canvas.removeMarker(element.id, "has-problem"); });
      list.forEach(function (problem) {
        var li = document.createElement("li"), button = document.createElement("button");
        button.type = "button";
        button.className = "problem";
        button.dataset.element = problem.element_id || "";
        button.textContent = (problem.element_id || msg.msgWholeFile) + ": " + problem.message;
        var element = problem.element_id && diagramElement(problem.element_id);
        if (element) {
          button.dataset.diagramElement = element.id;
          canvas.addMarker(element.id, "has-problem");
          button.addEventListener("click", function () {
            selection.select(element);
            canvas.scrollToElement(element);
          });
        }
        li.appendChild(button);
        problems.appendChild(li);
      });
    }
    function send(url) {
      result.textContent = "";
      return modeler.saveXML({ format: true }).then(function (saved) {
        return fetch(url, {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": msg.csrf },
          body: JSON.stringify({ filename: document.getElementById("bundle-filename").value,
                                 bpmn: saved.xml, forms: saveForms() })
        });
      }).then(function (response) { return response.json(); }).then(function (answer) {
        showProblems(answer.problems || []);
        if (!answer.ok) { root.dataset.state = "refused"; return; }
        if (answer.dry_run) {
          result.textContent = msg.msgValid;
        } else if (!answer.definitions.length) {
          result.textContent = msg.msgUnchanged;
        } else {
          result.textContent = msg.msgDeployed + " ";
          answer.definitions.forEach(function (d) {
            var link = document.createElement("a");
            link.href = msg.index.replace(/\/$/, "") + "/" + encodeURIComponent(d.process_id) + "/v" + d.version;
            link.textContent = d.process_id + " v" + d.version;
            result.appendChild(link);
          });
        }
        root.dataset.state = answer.dry_run ? "valid" : "deployed";
      });
    }
    document.getElementById("bundle-check").addEventListener("click", function () { send(msg.check); });
    document.getElementById("bundle-deploy").addEventListener("click", function () { send(msg.deploy); });

    /* --- start: the version's bundle and the catalogue ---------------------------------------- */
    Promise.all([
      fetch(msg.bundle, { credentials: "same-origin" }).then(function (r) { return r.json(); }),
      fetch(msg.catalogue, { credentials: "same-origin" }).then(function (r) { return r.json(); })
    ]).then(function (loaded) {
      var bundle = loaded[0], catalogue = loaded[1];
      document.getElementById("bundle-filename").value = bundle.filename;
      Object.keys(bundle.forms).forEach(function (id) { forms[id] = JSON.parse(bundle.forms[id]); });
      catalogue.phases.forEach(function (p) {
        pickerItem(document.getElementById("picker-phases"), p.name + " (" + p.code + ")", p.code,
          function () { setPhase(p.code); });
      });
      catalogue.roles.forEach(function (r) {
        pickerItem(document.getElementById("picker-roles"), r.name + " (" + r.code + ")", r.code,
          function () { setRole(r.code); });
      });
      catalogue.functions.forEach(function (fn) {
        pickerItem(document.getElementById("picker-functions"), fn.name + "(" + parameterNames(fn.params).join(", ") + ")",
          fn.doc, function () { addCall(fn); });
      });
      Object.keys(catalogue.meanings || {}).forEach(function (kind) {
        catalogue.meanings[kind].forEach(function (value) {
          pickerItem(document.getElementById("picker-meanings"), kind + " = " + value, kind + "=" + value,
            function () { setMeaning(kind, value); });
        });
      });
      var first = Object.keys(forms).sort()[0];
      return modeler.importXML(bundle.xml).then(function () {
        canvas.zoom("fit-viewport");
        return first ? openForm(first) : listForms();
      });
    }).then(function () { root.dataset.ready = "true"; });
  });
}());
