/* The citizen's report form: warns at once when an out-of-scope matter is chosen (an emergency:
   call 110/119/120/122), loads the townships and villages of the place picker on demand, and adds
   the phone's position when the citizen asks. No inline scripts (the Content-Security-Policy);
   translated texts come in data- attributes. Without JavaScript the form still works: the server
   refuses out-of-scope matters and accepts a county alone. */
(function () {
  "use strict";
  var SENT = "huiyin-report-sent-token";

  function warnOnMatter(select) {
    var emergency = document.getElementById("emergency-warning");
    var where = document.getElementById("r-matter-where");
    function show() {
      var option = select.options[select.selectedIndex];
      emergency.hidden = select.value !== "emergency";
      var text = option && option.getAttribute("data-where");
      where.textContent = text || "";
      where.hidden = !text;
    }
    select.addEventListener("change", show);
    select.addEventListener("input", show);
    show();
  }

  function cascade(fieldset) {
    var selects = Array.prototype.slice.call(fieldset.querySelectorAll("select"));
    var url = fieldset.getAttribute("data-children-url");
    function clearBelow(index) {
      selects.slice(index + 1).forEach(function (select) {
        while (select.options.length > 1) { select.remove(1); }
        select.disabled = true;
      });
    }
    selects.forEach(function (select, index) {
      if (index === selects.length - 1) { return; }
      select.addEventListener("change", function () {
        clearBelow(index);
        if (!select.value) { return; }
        var below = selects[index + 1], chosen = select.value;
        below.setAttribute("aria-busy", "true");
        fetch(url.replace("CODE", encodeURIComponent(select.value)), {headers: {Accept: "application/json"}})
          .then(function (response) {
            if (!response.ok) { throw new Error(response.status); }
            return response.json();
          })
          .then(function (places) {
            if (select.value !== chosen) { return; }  // the citizen chose again meanwhile
            places.forEach(function (place) {
              below.add(new Option(place.name, place.code));
            });
            below.disabled = places.length === 0;
          })
          .catch(function () {
            window.alert(fieldset.getAttribute("data-load-failed"));
          })
          .then(function () { below.removeAttribute("aria-busy"); });
      });
    });
  }

  function locate(box) {
    var add = document.getElementById("r-locate");
    var remove = document.getElementById("r-unlocate");
    var status = document.getElementById("r-position-status");
    var latitude = document.getElementById("r-latitude");
    var longitude = document.getElementById("r-longitude");
    if (!("geolocation" in navigator)) { return; }
    function shown(located) {
      add.hidden = located;
      remove.hidden = !located;
    }
    shown(latitude.value !== "");
    add.addEventListener("click", function () {
      status.textContent = box.getAttribute("data-locating");
      navigator.geolocation.getCurrentPosition(function (position) {
        latitude.value = position.coords.latitude.toFixed(6);
        longitude.value = position.coords.longitude.toFixed(6);
        status.textContent = box.getAttribute("data-located")
          .replace("PLACE", latitude.value + ", " + longitude.value);
        shown(true);
      }, function () {
        status.textContent = box.getAttribute("data-failed");
      }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
    });
    remove.addEventListener("click", function () {
      latitude.value = longitude.value = status.textContent = "";
      shown(false);
    });
  }

  /* Going back to a sent form and sending it again must answer with the same case: the tab keeps
     the token it last sent, and a form reached by "back" sends that one (a new form gets a new one). */
  function keepToken(form) {
    var token = form.querySelector("input[name=submission]");
    var navigation = window.performance && performance.getEntriesByType
      ? performance.getEntriesByType("navigation")[0] : null;
    var sent = null;
    try { sent = window.sessionStorage.getItem(SENT); } catch (error) { return; }
    if (sent && navigation && navigation.type === "back_forward") { token.value = sent; }
    form.addEventListener("submit", function () {
      try { window.sessionStorage.setItem(SENT, token.value); } catch (error) { /* private mode */ }
    });
  }

  function namesChosen(input) {
    var shown = document.getElementById("r-files-chosen");
    var none = shown.textContent;
    input.addEventListener("change", function () {
      var names = Array.prototype.map.call(input.files, function (file) { return file.name; });
      shown.textContent = !names.length ? none : shown.getAttribute("data-chosen")
        .replace("NAMES", names.join(shown.getAttribute("data-separator")));
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var files = document.getElementById("r-files");
    if (files) { namesChosen(files); }
    var form = document.getElementById("report-form");
    if (form) { keepToken(form); }
    var matter = document.getElementById("r-matter");
    if (matter) { warnOnMatter(matter); }
    var picker = document.getElementById("r-place");
    if (picker) { cascade(picker); }
    var position = document.getElementById("r-position");
    if (position) { locate(position); }
  });
}());
