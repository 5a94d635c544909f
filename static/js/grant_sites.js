// The sites of an online grant application on a map: tap the map to place the site being filled in (the row
// last focused, or the one whose "Place on the map" button was pressed), drag a pin to move it, or type the
// address and the pin goes to the street or the door. Without JavaScript the address or the coordinates are
// typed and the server finds the place; the form works either way.
(function () {
  "use strict";
  var mapEl = document.getElementById("sites-map");
  var rowsEl = document.getElementById("site-rows");
  if (!mapEl || !rowsEl || typeof L === "undefined") return;
  mapEl.hidden = false;
  Array.prototype.forEach.call(document.querySelectorAll("#sites .map-only"), function (el) { el.hidden = false; });
  // With the map, the list of zones is the other way in (each site brings its zone): folded, unless it holds an
  // error to correct; its summary says how many are chosen.
  var zoneList = document.getElementById("zone-choices");
  if (zoneList && !zoneList.querySelector(".invalid-feedback")) zoneList.open = false;
  L.Icon.Default.imagePath = mapEl.dataset.leafletImages;
  var rows = Array.prototype.slice.call(rowsEl.querySelectorAll(".site-row"));
  var confirmation = document.getElementById("sites-confirmation");
  var map = L.map(mapEl).setView([parseFloat(mapEl.dataset.lat), parseFloat(mapEl.dataset.lon)], 13);
  // Base tiles are the only outside resource; without them the city's own outline and zones still draw.
  L.tileLayer(mapEl.dataset.tiles, { attribution: mapEl.dataset.attribution, maxZoom: 19 }).addTo(map);
  var markers = {};
  var active = null;

  function field(row, name) { return row.querySelector("[name='site-" + row.dataset.index + "-" + name + "']"); }
  function number(row) { return rows.indexOf(row) + 1; }
  function title(row) {
    var name = field(row, "name").value.trim();
    return number(row) + (name ? ". " + name : "");
  }
  // Only the pin of the row being filled keeps its name showing (two sites close together would write over
  // each other); the others show theirs on hover.
  function label(row) {
    var marker = markers[row.dataset.index];
    if (!marker) return;
    marker.unbindTooltip();
    marker.bindTooltip(title(row), { permanent: row === active, direction: "top", offset: [0, -30], className: "map-label" });
  }
  function setActive(row) {
    active = row;
    rows.forEach(function (r) {
      var button = r.querySelector(".site-place");
      if (button) button.setAttribute("aria-pressed", r === row ? "true" : "false");
      r.classList.toggle("site-active", r === row);
      label(r);
    });
  }
  function firstEmpty() {
    for (var i = 0; i < rows.length; i++) if (!field(rows[i], "lat").value.trim()) return rows[i];
    return rows[rows.length - 1];
  }
  var asked = 0;
  function sayWhere(row, latlng) {
    var where = row.querySelector(".site-where");
    var ticket = ++asked;
    fetch(mapEl.dataset.where + "?lat=" + latlng.lat.toFixed(6) + "&lon=" + latlng.lng.toFixed(6), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        if (where) where.textContent = data.text;
        // Only the last placing speaks: an earlier answer arriving late must not say the wrong site.
        if (confirmation && ticket === asked) confirmation.textContent = mapEl.dataset.placed + " " + title(row) + " — " + data.text;
      })
      .catch(function () {});
  }
  function pin(row, latlng, quiet) {
    var index = row.dataset.index;
    field(row, "lat").value = latlng.lat.toFixed(6);
    field(row, "lon").value = latlng.lng.toFixed(6);
    var marker = markers[index];
    if (marker) {
      marker.setLatLng(latlng);
    } else {
      marker = markers[index] = L.marker(latlng, { draggable: true, keyboard: false, title: title(row) }).addTo(map);
      marker.on("dragend", function () { pin(row, marker.getLatLng()); });
    }
    label(row);
    if (!quiet) sayWhere(row, latlng);
  }
  rows.forEach(function (row) {
    var button = row.querySelector(".site-place");
    if (button) button.addEventListener("click", function () {
      setActive(row);
      if (confirmation) confirmation.textContent = mapEl.dataset.choose + " " + title(row);
      mapEl.focus();
    });
    row.addEventListener("focusin", function (e) { if (!e.target.classList.contains("site-place")) setActive(row); });
    field(row, "name").addEventListener("input", function () { label(row); });
    ["lat", "lon"].forEach(function (name) {
      field(row, name).addEventListener("change", function () {
        var la = parseFloat(field(row, "lat").value.replace(",", "."));
        var lo = parseFloat(field(row, "lon").value.replace(",", "."));
        if (!isNaN(la) && !isNaN(lo)) { pin(row, L.latLng(la, lo)); map.panTo([la, lo]); }
      });
    });
    var la = parseFloat(field(row, "lat").value), lo = parseFloat(field(row, "lon").value);
    if (!isNaN(la) && !isNaN(lo)) pin(row, L.latLng(la, lo), true);
  });
  setActive(firstEmpty());
  var placed = Object.keys(markers).map(function (k) { return markers[k].getLatLng(); });
  if (placed.length) map.fitBounds(L.latLngBounds(placed).pad(0.3), { maxZoom: 16 });

  map.on("click", function (e) {
    if (!active) setActive(firstEmpty());
    pin(active, e.latlng);
    if (map.getZoom() < 15) map.setView(e.latlng, 16);
  });
  // The keyboard's way: the arrows move the map (Leaflet's own), Enter or Space places the site at its centre.
  mapEl.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" && e.key !== " " && e.key !== "Spacebar") return;
    e.preventDefault();
    if (!active) setActive(firstEmpty());
    pin(active, map.getCenter());
  });

  // The address: the city's streets are suggested as one types; the door or the street places the pin.
  var suggestions = document.getElementById("site-streets");
  var known = {};
  var timer = null;
  function fromAddress(row, input) {
    var hit = known[input.value.trim().toLowerCase()];
    if (!hit) return;
    pin(row, L.latLng(hit.lat, hit.lon));
    map.setView([hit.lat, hit.lon], Math.max(map.getZoom(), hit.exact ? 18 : 16));
  }
  rows.forEach(function (row) {
    var input = field(row, "address");
    input.addEventListener("change", function () { fromAddress(row, input); });
    input.addEventListener("input", function () {
      fromAddress(row, input);
      clearTimeout(timer);
      var text = input.value.trim();
      if (text.length < 2) return;
      timer = setTimeout(function () {
        fetch(mapEl.dataset.streets + "?q=" + encodeURIComponent(text), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : { streets: [] }; })
          .then(function (data) {
            if (!suggestions) return;
            suggestions.textContent = "";
            var options = (data.streets || []).slice();
            if (data.address) { known[text.toLowerCase()] = data.address; if (data.address.exact) options.unshift(data.address); }
            options.forEach(function (street) {
              known[street.name.toLowerCase()] = street;
              var option = document.createElement("option");
              option.value = street.name;
              suggestions.appendChild(option);
            });
            fromAddress(row, input);
          })
          .catch(function () {});
      }, 150);
    });
  });

  // The observatory's own layers: the city's outline and its zones, under the pins.
  fetch(mapEl.dataset.layers, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (data) {
      var boundary = null;
      L.geoJSON(data, {
        filter: function (f) { return ["boundary", "zone", "street"].indexOf(f.properties.layer) >= 0; },
        style: function (f) {
          var layer = f.properties.layer;
          if (layer === "boundary") return { color: "#003366", weight: 3, fill: false, interactive: false };
          if (layer === "street") return { color: "#7a7a7a", weight: 2, opacity: 0.8, interactive: false };
          return { color: "#0066cc", weight: 1, fillColor: "#ffffff", fillOpacity: 0.3, interactive: false };
        },
        onEachFeature: function (f, layer) { if (f.properties.layer === "boundary") boundary = layer; },
      }).addTo(map);
      Object.keys(markers).forEach(function (k) { markers[k].bringToFront && markers[k].bringToFront(); });
      if (!placed.length && boundary) map.fitBounds(boundary.getBounds(), { padding: [8, 8] });
    })
    .catch(function () { /* the pins, the addresses and the coordinates still work */ });
})();
