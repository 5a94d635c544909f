// The report's place on the moderation page: one circle on a Leaflet map. Base tiles are the only
// outside resource: when they fail the circle and the coordinates written beside the map still show.
(function () {
  "use strict";
  var el = document.getElementById("moderation-map");
  if (!el || typeof L === "undefined") return;
  var at = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)];
  var map = L.map(el, { scrollWheelZoom: false }).setView(at, 16);
  var tiles = L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution, maxZoom: 19 }).addTo(map);
  tiles.on("tileerror", function () { el.classList.add("tiles-failed"); });
  L.circleMarker(at, { radius: 9, color: "#a61919", weight: 3, fillOpacity: 0.5 }).addTo(map).bindTooltip(el.dataset.label);
})();
