// Admin widget for a point (city/widgets.py): a click on a Leaflet map (our static copy, no CDN) writes the
// point as GeoJSON into the text field; typing GeoJSON there moves the marker.
(function () {
  "use strict";
  function init(mapEl) {
    if (typeof L === "undefined" || mapEl.dataset.ready) return;
    mapEl.dataset.ready = "1";
    var input = document.getElementById(mapEl.dataset.input);
    var map = L.map(mapEl).setView([parseFloat(mapEl.dataset.lat), parseFloat(mapEl.dataset.lon)], 12);
    if (mapEl.dataset.tiles) L.tileLayer(mapEl.dataset.tiles, { attribution: mapEl.dataset.attribution, maxZoom: 19 }).addTo(map);
    var marker = null;
    function show(fit) {
      var coordinates = null;
      try { coordinates = JSON.parse(input.value).coordinates; } catch (e) { coordinates = null; }
      if (!coordinates || coordinates.length < 2) return;
      var latlng = L.latLng(coordinates[1], coordinates[0]);
      if (marker) marker.setLatLng(latlng); else marker = L.circleMarker(latlng, { radius: 8 }).addTo(map);
      if (fit) map.setView(latlng, 16);
    }
    map.on("click", function (e) {
      input.value = JSON.stringify({ type: "Point", coordinates: [e.latlng.lng, e.latlng.lat] });
      show(false);
    });
    input.addEventListener("change", function () { show(true); });
    show(true);
  }
  function start() { document.querySelectorAll(".leaflet-point-map").forEach(init); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
