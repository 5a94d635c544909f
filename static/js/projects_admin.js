// Admin widget for sites: draw polygons and points on a Leaflet map (our static copy, no CDN),
// kept in a GeoJSON FeatureCollection in the textarea, which can also be pasted into directly.
(function () {
  "use strict";
  function init(mapEl) {
    if (typeof L === "undefined" || mapEl.dataset.ready) return;
    mapEl.dataset.ready = "1";
    var textarea = document.getElementById(mapEl.dataset.textarea);
    var status = document.getElementById(mapEl.dataset.textarea + "_status");
    var map = L.map(mapEl).setView([parseFloat(mapEl.dataset.lat), parseFloat(mapEl.dataset.lon)], 12);
    if (mapEl.dataset.tiles) L.tileLayer(mapEl.dataset.tiles, { attribution: mapEl.dataset.attribution, maxZoom: 19 }).addTo(map);
    var shown = L.geoJSON(null, { pointToLayer: function (f, ll) { return L.circleMarker(ll, { radius: 7 }); } }).addTo(map);
    var corners = [];
    var sketch = L.polyline([], { dashArray: "4 4" }).addTo(map);
    var lastClick = null;

    function features() {
      var text = textarea.value.trim();
      if (!text) return [];
      try {
        var data = JSON.parse(text);
        if (data.type === "FeatureCollection") return data.features;
        if (data.type === "Feature") return [data];
        return [{ type: "Feature", properties: {}, geometry: data }];
      } catch (e) { return null; }
    }
    function redraw(fit) {
      shown.clearLayers();
      var list = features();
      if (list === null) { status.textContent = "GeoJSON?"; return; }
      list.forEach(function (f) { try { shown.addData(f); } catch (e) { /* shown as an error on save */ } });
      status.textContent = list.length ? list.length + " ✓" : "";
      if (fit && shown.getLayers().length) map.fitBounds(shown.getBounds(), { maxZoom: 16 });
    }
    function add(geometry) {
      var list = features() || [];
      list.push({ type: "Feature", properties: {}, geometry: geometry });
      textarea.value = JSON.stringify({ type: "FeatureCollection", features: list });
      redraw(false);
    }
    map.on("click", function (e) {
      lastClick = e.latlng;
      corners.push([e.latlng.lng, e.latlng.lat]);
      sketch.setLatLngs(corners.map(function (c) { return [c[1], c[0]]; }));
    });
    document.querySelectorAll('[data-for="' + mapEl.dataset.textarea + '"]').forEach(function (button) {
      button.addEventListener("click", function () {
        var action = button.dataset.action;
        if (action === "finish" && corners.length >= 3) {
          add({ type: "Polygon", coordinates: [corners.concat([corners[0]])] });
        } else if (action === "point" && lastClick) {
          add({ type: "Point", coordinates: [lastClick.lng, lastClick.lat] });
        } else if (action === "clear") {
          textarea.value = "";
          redraw(false);
        }
        corners = [];
        sketch.setLatLngs([]);
      });
    });
    textarea.addEventListener("change", function () { redraw(true); });
    redraw(true);
  }
  function start() { document.querySelectorAll(".geojson-map").forEach(init); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
