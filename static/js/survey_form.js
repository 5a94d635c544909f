// Progressive enhancement of the questionnaire: a map to say where one lives. Without JavaScript the zone is
// chosen from the list or the street typed; the server decides the zone of the pin in every case.
(function () {
  "use strict";
  var mapEl = document.getElementById("survey-map");
  var lat = document.getElementById("id_latitude");
  var lon = document.getElementById("id_longitude");
  var clear = document.getElementById("survey-map-clear");
  if (!mapEl || !lat || !lon || typeof L === "undefined") return;
  mapEl.hidden = false;
  L.Icon.Default.imagePath = mapEl.dataset.leafletImages;
  var start = [parseFloat(lat.value) || parseFloat(mapEl.dataset.lat), parseFloat(lon.value) || parseFloat(mapEl.dataset.lon)];
  var map = L.map(mapEl).setView(start, 12);
  L.tileLayer(mapEl.dataset.tiles, { attribution: mapEl.dataset.attribution, maxZoom: 19 }).addTo(map);
  var marker = null;
  function place(latlng) {
    if (marker) marker.setLatLng(latlng); else marker = L.marker(latlng, { draggable: true, keyboard: true }).addTo(map);
    marker.off("dragend").on("dragend", function () { place(marker.getLatLng()); });
    lat.value = latlng.lat.toFixed(6);
    lon.value = latlng.lng.toFixed(6);
    clear.hidden = false;
  }
  if (lat.value && lon.value) place(L.latLng(parseFloat(lat.value), parseFloat(lon.value)));
  map.on("click", function (event) { place(event.latlng); });
  clear.addEventListener("click", function () {
    if (marker) { map.removeLayer(marker); marker = null; }
    lat.value = ""; lon.value = "";
    clear.hidden = true;
  });
})();
