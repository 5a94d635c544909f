// Progressive enhancement of the report form: a map to place the pin and a "use my location"
// button. Without JavaScript the coordinates are typed; the form works either way.
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
  }
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
      navigator.geolocation.getCurrentPosition(function (pos) {
        place(L.latLng(pos.coords.latitude, pos.coords.longitude), true);
        map.setZoom(17);
      });
    });
  }
  var errors = document.getElementById("form-errors");
  if (errors) errors.focus();
})();
