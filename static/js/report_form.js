// Progressive enhancement of the report and audit forms: a map to place the pin, a "use my location"
// button, and possible duplicates nearby. Without JavaScript the coordinates are typed or an area is
// chosen; the form works either way.
(function () {
  "use strict";
  // Extra questions of the chosen category only: the others are hidden and disabled, so they are not sent.
  // Without JavaScript every category's questions show, and the server reads the chosen category's answers.
  var category = document.getElementById("id_category");
  var questionGroups = document.querySelectorAll(".category-questions");
  if (!category || !questionGroups.length) return;
  function showQuestions() {
    Array.prototype.forEach.call(questionGroups, function (group) {
      var on = group.dataset.category === category.value;
      group.hidden = !on;
      group.disabled = !on;
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll(".no-js-only"), function (el) { el.hidden = true; });
  showQuestions();
  category.addEventListener("change", showQuestions);
})();

(function () {
  "use strict";
  var mapEl = document.getElementById("report-map");
  var lat = document.getElementById("id_latitude");
  var lon = document.getElementById("id_longitude");
  if (!mapEl || !lat || !lon || typeof L === "undefined") return;
  mapEl.hidden = false;
  // Hashed static names hide the icons from Leaflet's own path detection; say where they are.
  L.Icon.Default.imagePath = mapEl.dataset.leafletImages;
  var start = [parseFloat(lat.value) || parseFloat(mapEl.dataset.lat), parseFloat(lon.value) || parseFloat(mapEl.dataset.lon)];
  var map = L.map(mapEl).setView(start, 14);
  // Base tiles are the only outside resource; if they fail the pin still works on a plain background.
  L.tileLayer(mapEl.dataset.tiles, { attribution: mapEl.dataset.attribution, maxZoom: 19 }).addTo(map);
  var marker = null;
  function place(latlng, pan) {
    if (marker) marker.setLatLng(latlng); else marker = L.marker(latlng, { draggable: true, keyboard: true }).addTo(map);
    marker.off("dragend").on("dragend", function () { place(marker.getLatLng(), false); });
    lat.value = latlng.lat.toFixed(6);
    lon.value = latlng.lng.toFixed(6);
    if (pan) map.panTo(latlng);
    lookForDuplicates();
  }
  var form = document.getElementById("report-form");
  var category = document.getElementById("id_category");
  var nearby = document.getElementById("nearby");
  var nearbyList = document.getElementById("nearby-list");
  // Each possible duplicate is a radio: "this is what I saw, add my experience to it", with "none of these"
  // last. The choice travels with the form as `join`; the server checks it again.
  function radio(value, id, labelText, detail) {
    var wrapper = document.createElement("div");
    wrapper.className = "form-check mb-2";
    var input = document.createElement("input");
    input.type = "radio";
    input.name = "join";
    input.value = value;
    input.id = id;
    var label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = labelText;
    wrapper.appendChild(input);
    wrapper.appendChild(label);
    if (detail) {
      input.setAttribute("aria-describedby", id + "-detail");
      detail.id = id + "-detail";
      wrapper.appendChild(detail);
    }
    return wrapper;
  }
  function detailOf(item) {
    var p = document.createElement("p");
    p.className = "small mb-0 nearby-detail";
    var parts = [item.category, item.occurred_at_display, item.distance_display, item.status];
    if (item.added) parts.push(item.added_display);
    p.appendChild(document.createTextNode(parts.join(" · ") + " · "));
    var a = document.createElement("a");
    a.href = item.url;
    a.target = "_blank";
    a.rel = "noopener";
    a.textContent = nearby.dataset.see;
    var hint = document.createElement("span");
    hint.className = "visually-hidden";
    hint.textContent = " " + item.tracking_code + " " + nearby.dataset.newTab;
    a.appendChild(hint);
    p.appendChild(a);
    return p;
  }
  var unpublished = document.getElementById("nearby-unpublished");
  function showNearby(reports, unpublishedNearby) {
    // Of unpublished reports the server says only whether there may be some.
    if (unpublished) unpublished.hidden = !unpublishedNearby;
    var checked = nearbyList.querySelector("input[name=join]:checked");
    var chosen = checked ? checked.value : "new";
    nearbyList.textContent = "";
    reports.forEach(function (item) {
      nearbyList.appendChild(radio(item.tracking_code, "join-" + item.tracking_code, item.join_label, detailOf(item)));
    });
    if (reports.length) nearbyList.appendChild(radio("new", "join-new", nearby.dataset.newLabel, null));
    var keep = nearbyList.querySelector("input[name=join][value='" + chosen + "']") ||
      nearbyList.querySelector("input[name=join][value=new]");
    if (keep) keep.checked = true;
    // Hidden and disabled when empty, so that no choice is sent and the server may still offer the list.
    nearby.hidden = reports.length === 0;
    nearby.disabled = reports.length === 0;
  }
  function lookForDuplicates() {
    if (!form || !category || !nearby || !category.value || !lat.value || !lon.value) return;
    var url = form.dataset.nearbyUrl + "?category=" + encodeURIComponent(category.value) +
      "&lat=" + encodeURIComponent(lat.value) + "&lon=" + encodeURIComponent(lon.value);
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { reports: [] }; })
      .then(function (data) { showNearby(data.reports || [], Boolean(data.unpublished_nearby)); })
      .catch(function () { /* the server offers the list when the form is sent */ });
  }
  if (category) category.addEventListener("change", lookForDuplicates);
  if (lat.value && lon.value) place(L.latLng(parseFloat(lat.value), parseFloat(lon.value)), false);
  map.on("click", function (e) { place(e.latlng, false); });
  function fromInputs() {
    var la = parseFloat(lat.value), lo = parseFloat(lon.value);
    if (!isNaN(la) && !isNaN(lo)) place(L.latLng(la, lo), true);
  }
  lat.addEventListener("change", fromInputs);
  lon.addEventListener("change", fromInputs);
  var button = document.getElementById("use-location");
  if (button && navigator.geolocation) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var message = document.getElementById("location-message");
      navigator.geolocation.getCurrentPosition(function (pos) {
        place(L.latLng(pos.coords.latitude, pos.coords.longitude), true);
        map.setZoom(17);
        if (message) message.textContent = "";
      }, function () {
        if (message) message.textContent = button.dataset.failed || "";
      });
    });
  }
  var errors = document.getElementById("form-errors") || document.getElementById("duplicates-step");
  if (errors) errors.focus();
})();
