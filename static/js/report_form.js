// Progressive enhancement of the report and audit forms: a map to place the pin, a "use my location"
// button, and possible duplicates nearby. Without JavaScript the coordinates are typed or an area is
// chosen; the form works either way.
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
  function lookForDuplicates() {
    if (!form || !category || !nearby || !category.value || !lat.value || !lon.value) return;
    var url = form.dataset.nearbyUrl + "?category=" + encodeURIComponent(category.value) +
      "&lat=" + encodeURIComponent(lat.value) + "&lon=" + encodeURIComponent(lon.value);
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { reports: [] }; })
      .then(function (data) {
        nearbyList.textContent = "";
        data.reports.forEach(function (item) {
          var li = document.createElement("li");
          var a = document.createElement("a");
          a.href = item.url;
          a.textContent = item.tracking_code;
          li.appendChild(a);
          li.appendChild(document.createTextNode(" · " + item.category + " · ~" + item.distance_m + " m · " + item.status));
          nearbyList.appendChild(li);
        });
        nearby.hidden = data.reports.length === 0;
      })
      .catch(function () { nearby.hidden = true; });
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
  var errors = document.getElementById("form-errors");
  if (errors) errors.focus();
})();
