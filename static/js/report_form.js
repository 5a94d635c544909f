// Progressive enhancement of the report and audit forms: a map to place the pin, a "use my location"
// button, and possible duplicates nearby. Without JavaScript the coordinates are typed or an area is
// chosen; the form works either way.
(function () {
  "use strict";
  // One-tap moments under the time field ("just now", "yesterday at 22:00"...): a tap fills the field, which
  // stays editable. Without JavaScript the buttons stay hidden.
  var group = document.getElementById("when-shortcuts");
  var input = group && document.getElementById(group.dataset.for);
  if (!group || !input) return;
  group.hidden = false;
  var buttons = group.querySelectorAll(".when-shortcut");
  function mark() {
    Array.prototype.forEach.call(buttons, function (b) { b.setAttribute("aria-pressed", b.dataset.value === input.value ? "true" : "false"); });
  }
  Array.prototype.forEach.call(buttons, function (button) {
    button.addEventListener("click", function () { input.value = button.dataset.value; mark(); });
  });
  input.addEventListener("input", mark);
  mark();
})();

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
  Array.prototype.forEach.call(document.querySelectorAll(".map-only"), function (el) { el.hidden = false; });
  // With the map, the area list and the coordinates are the other ways: folded, so that the category follows the
  // pin closely (open again when one of them holds an error to correct).
  var alternatives = document.getElementById("place-alternatives");
  if (alternatives && !alternatives.querySelector(".is-invalid")) alternatives.open = false;
  // Hashed static names hide the icons from Leaflet's own path detection; say where they are.
  L.Icon.Default.imagePath = mapEl.dataset.leafletImages;
  var start = [parseFloat(lat.value) || parseFloat(mapEl.dataset.lat), parseFloat(lon.value) || parseFloat(mapEl.dataset.lon)];
  // Leaflet's own keyboard handler pans the map with the arrows; here the arrows move the pin instead.
  var map = L.map(mapEl, { keyboard: false }).setView(start, 14);
  // Base tiles are the only outside resource; if they fail, the observatory's own layers (city boundary,
  // zones with their names, districts, streets) still say where the pin is.
  L.tileLayer(mapEl.dataset.tiles, { attribution: mapEl.dataset.attribution, maxZoom: 19 }).addTo(map);
  var confirmation = document.getElementById("place-confirmation");
  var zoneSelect = document.getElementById("id_zone");
  var zoneLayers = {};
  var marker = null;
  var whereRequest = 0;
  function sayWhere(latlng, prefix) {
    if (!confirmation || !mapEl.dataset.where) return;
    var ticket = ++whereRequest;
    fetch(mapEl.dataset.where + "?lat=" + latlng.lat.toFixed(6) + "&lon=" + latlng.lng.toFixed(6), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || ticket !== whereRequest) return;
        confirmation.textContent = (prefix ? prefix + " " : "") + data.text;
        if (zoneSelect) zoneSelect.value = data.zone_id ? String(data.zone_id) : "";
      })
      .catch(function () {});
  }
  function place(latlng, pan, how) {
    var first = !marker;
    if (marker) marker.setLatLng(latlng); else marker = L.marker(latlng, { draggable: true, keyboard: false }).addTo(map);
    marker.off("dragend").on("dragend", function () { place(marker.getLatLng(), false, "moved"); });
    lat.value = latlng.lat.toFixed(6);
    lon.value = latlng.lng.toFixed(6);
    if (pan) map.panTo(latlng);
    sayWhere(latlng, how === "silent" ? "" : (first || how === "placed" ? mapEl.dataset.placed : mapEl.dataset.moved));
    lookForDuplicates();
  }
  // The observatory's own layers: drawn under the pin, tappable (a tap on a zone places the pin there).
  fetch(mapEl.dataset.layers, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (data) {
      var labels = L.layerGroup();
      var streetLabels = L.layerGroup();
      var boundary = null;
      L.geoJSON(data, {
        filter: function (f) { return f.properties.layer !== "district_label"; },
        style: function (f) {
          var layer = f.properties.layer;
          if (layer === "boundary") return { color: "#003366", weight: 3, fill: false, interactive: false };
          if (layer === "street") return { color: "#7a7a7a", weight: 2, opacity: 0.8, interactive: false };
          return { color: "#0066cc", weight: 1, fillColor: "#ffffff", fillOpacity: 0.35, className: "zone-outline" };
        },
        onEachFeature: function (f, layer) {
          var p = f.properties;
          if (p.layer === "boundary") boundary = layer;
          if (p.layer === "zone") {
            zoneLayers[p.id] = layer;
            var path = layer.getElement && layer.getElement();
            layer.on("add", function () { var el = layer.getElement(); if (el) el.setAttribute("data-zone", p.code); });
            if (path) path.setAttribute("data-zone", p.code);
            labels.addLayer(L.tooltip({ permanent: true, direction: "center", className: "map-label", interactive: false })
              .setLatLng(p.label_point).setContent(p.name));
          }
          if (p.layer === "street") {
            layer.bindTooltip(p.name, { permanent: true, direction: "center", className: "map-label map-label-street", interactive: false });
            streetLabels.addLayer(layer);
          }
        },
      }).addTo(map);
      var districtLabels = L.layerGroup();
      data.features.forEach(function (f) {
        if (f.properties.layer !== "district_label") return;
        var c = f.geometry.coordinates;
        districtLabels.addLayer(L.tooltip({ permanent: true, direction: "center", className: "map-label map-label-district", interactive: false })
          .setLatLng([c[1], c[0]]).setContent(f.properties.name));
      });
      // Names that would write over one already drawn are left out at this zoom (they come back closer in):
      // first come, first drawn, in the order the layers list them.
      function declutter(group) {
        var kept = [];
        group.eachLayer(function (tooltip) {
          var el = tooltip.getElement && tooltip.getElement();
          if (!el) return;
          el.style.visibility = "";
          var r = el.getBoundingClientRect();
          var clash = kept.some(function (k) {
            return r.left < k.right + 2 && k.left < r.right + 2 && r.top < k.bottom + 2 && k.top < r.bottom + 2;
          });
          if (clash) el.style.visibility = "hidden"; else kept.push(r);
        });
      }
      // Few words at a time: districts when the city is in view, zone names closer, street names closest.
      function showLabels() {
        var z = map.getZoom();
        if (z < 14) { map.removeLayer(labels); districtLabels.addTo(map); declutter(districtLabels); }
        else { map.removeLayer(districtLabels); labels.addTo(map); declutter(labels); }
        streetLabels.eachLayer(function (l) { if (z >= 15) l.openTooltip(); else l.closeTooltip(); });
      }
      map.on("zoomend", showLabels);
      if (!marker && boundary) map.fitBounds(boundary.getBounds(), { padding: [8, 8] });
      showLabels();
    })
    .catch(function () { /* the pin, the zone list and the street field still work */ });
  if (zoneSelect) {
    zoneSelect.addEventListener("change", function () {
      var layer = zoneLayers[zoneSelect.value];
      if (!layer) return;
      map.fitBounds(layer.getBounds());
      var point = layer.feature.properties.label_point;
      place(L.latLng(point[0], point[1]), false, "placed");
    });
  }
  // The keyboard's way: Enter or Space places the pin at the centre; arrows move it (Shift: finer); + and - zoom.
  mapEl.addEventListener("keydown", function (e) {
    var key = e.key;
    if (key === "Enter" || key === " " || key === "Spacebar") {
      e.preventDefault();
      place(map.getCenter(), false, "placed");
      return;
    }
    if (key === "+" || key === "=") { e.preventDefault(); map.zoomIn(); return; }
    if (key === "-" || key === "_") { e.preventDefault(); map.zoomOut(); return; }
    var steps = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };
    if (!steps[key]) return;
    e.preventDefault();
    var size = map.getSize();
    var step = (e.shiftKey ? 0.025 : 0.1) * Math.min(size.x, size.y);
    var offset = L.point(steps[key][0] * step, steps[key][1] * step);
    if (!marker) { map.panBy(offset); return; }
    var moved = map.containerPointToLatLng(map.latLngToContainerPoint(marker.getLatLng()).add(offset));
    place(moved, false, "moved");
    map.panInside(moved, { padding: [40, 40] });
  });
  // The address field suggests the city's streets as one types; choosing one moves the pin to it.
  var address = document.getElementById("id_address");
  var suggestions = document.getElementById("street-suggestions");
  var known = {};
  if (address && suggestions && address.dataset.streets) {
    var timer = null;
    // "Via Roma 12": the server answers with the door when the register holds the number, else the street and
    // a note that the number was not found (said under the field, in the page's language).
    var addressNote = document.getElementById("address-note");
    var pinFromAddress = function () {
      var hit = known[address.value.trim().toLowerCase()];
      if (addressNote) addressNote.textContent = hit && hit.note ? hit.note : "";
      if (!hit) return;
      map.setView([hit.lat, hit.lon], Math.max(map.getZoom(), hit.exact ? 18 : 16));
      place(L.latLng(hit.lat, hit.lon), false, "placed");
    };
    address.addEventListener("input", function () {
      pinFromAddress();
      clearTimeout(timer);
      var text = address.value.trim();
      if (text.length < 2) return;
      timer = setTimeout(function () {
        fetch(address.dataset.streets + "?q=" + encodeURIComponent(text), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : { streets: [] }; })
          .then(function (data) {
            suggestions.textContent = "";
            var found = data.address;
            var options = (data.streets || []).slice();
            if (found) {
              known[text.toLowerCase()] = found;
              if (found.exact) options.unshift(found);
            }
            options.forEach(function (street) {
              known[street.name.toLowerCase()] = street;
              var option = document.createElement("option");
              option.value = street.name;
              suggestions.appendChild(option);
            });
            pinFromAddress();
          })
          .catch(function () {});
      }, 150);
    });
    address.addEventListener("change", pinFromAddress);
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
  if (lat.value && lon.value) place(L.latLng(parseFloat(lat.value), parseFloat(lon.value)), false, "silent");
  // A tap on the whole city is only roughly placed: the map closes in on it (street names show from zoom 15), so
  // that the person sees where the pin is and can drag it or tap again without hunting for the zoom buttons.
  var CLOSE_ZOOM = 16;
  map.on("click", function (e) {
    place(e.latlng, false, "placed");
    if (map.getZoom() < CLOSE_ZOOM) map.setView(e.latlng, CLOSE_ZOOM);
  });
  function fromInputs() {
    var la = parseFloat(lat.value), lo = parseFloat(lon.value);
    if (!isNaN(la) && !isNaN(lo)) place(L.latLng(la, lo), true, "moved");
  }
  lat.addEventListener("change", fromInputs);
  lon.addEventListener("change", fromInputs);
  var button = document.getElementById("use-location");
  if (button && navigator.geolocation) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var message = document.getElementById("location-message");
      navigator.geolocation.getCurrentPosition(function (pos) {
        place(L.latLng(pos.coords.latitude, pos.coords.longitude), true, "placed");
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
