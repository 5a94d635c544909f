// Public map of published reports, each at its privacy-snapped place (the server snaps; never exact).
(function () {
  "use strict";
  var el = document.getElementById("public-map");
  if (!el || typeof L === "undefined") return;
  L.Icon.Default.imagePath = el.dataset.leafletImages;
  var map = L.map(el).setView([parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)], 13);
  L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution, maxZoom: 18 }).addTo(map);
  var COLOURS = { 1: "#b2182b", 2: "#ef8a62", 3: "#67a9cf", 4: "#2166ac" };
  fetch(el.dataset.geojson, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (data) {
      L.geoJSON(data, {
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, { radius: 7, weight: 1, color: "#222", fillOpacity: 0.8,
            fillColor: COLOURS[f.properties.perceived_safety] || "#888" });
        },
        onEachFeature: function (f, layer) {
          var p = f.properties;
          var link = document.createElement("a");
          link.href = "/reports/" + encodeURIComponent(p.tracking_code) + "/";
          link.textContent = p.tracking_code + " · " + p.category;
          layer.bindPopup(link);
          var path = layer.getElement && layer.getElement();
          if (path) path.setAttribute("data-code", p.tracking_code);
        },
      }).addTo(map);
      var count = document.getElementById("map-count");
      if (count) count.textContent = data.features.length + " ✓";
    })
    .catch(function () {});
})();
