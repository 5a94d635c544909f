// The intervention form's place, drawn on a Leaflet map with Leaflet-Geoman (our static copy, no CDN): a point,
// a line or an area, kept as one GeoJSON geometry in the form's text field, which stays the way to give the place
// without JavaScript (or to paste one). With the keyboard: the map pans with the arrow keys, and the buttons under
// it add a point, or the corners of a line or an area, at the cross in the map's centre.
(function () {
  "use strict";
  var el = document.getElementById("intervention-map");
  if (!el || typeof L === "undefined" || !L.PM) return;
  var textarea = document.getElementById(el.dataset.textarea);
  var status = document.getElementById("intervention-map-status");
  el.hidden = false;  // shown before Leaflet measures it
  document.getElementById("intervention-map-tools").hidden = false;
  var map = L.map(el, { keyboard: true }).setView([parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)], 13);
  var tiles = L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution, maxZoom: 19 }).addTo(map);
  tiles.on("tileerror", function () { el.classList.add("tiles-failed"); });
  map.pm.setLang(el.dataset.lang === "it" ? "it" : "en");
  map.pm.addControls({
    position: "topleft", drawMarker: true, drawPolyline: true, drawPolygon: true, drawRectangle: false,
    drawCircle: false, drawCircleMarker: false, drawText: false, editMode: true, dragMode: false,
    cutPolygon: false, removalMode: true, rotateMode: false,
  });
  // Geoman's buttons are links with an icon only: give each its tooltip's words, for screen readers.
  el.querySelectorAll(".leaflet-pm-toolbar .button-container").forEach(function (container) {
    var button = container.querySelector(".leaflet-buttons-control-button");
    if (button && container.title) button.setAttribute("aria-label", container.title);
  });
  var drawn = L.featureGroup().addTo(map);
  var sketch = { kind: null, corners: [], line: L.polyline([], { dashArray: "4 4", pmIgnore: true, interactive: false }).addTo(map) };

  function say(text) { status.textContent = text; }
  function kindName(geometry) {
    var type = geometry.type.replace("Multi", "");
    return el.dataset["kind" + type] || type;
  }
  function write() {
    var layers = drawn.getLayers();
    if (!layers.length) { textarea.value = ""; say(el.dataset.msgEmpty); return; }
    var geometry = layers[layers.length - 1].toGeoJSON().geometry;
    textarea.value = JSON.stringify(geometry);
    say(el.dataset.msgDrawn.replace("{kind}", kindName(geometry)));
  }
  function watch(layer) {
    layer.on("pm:edit pm:dragend pm:markerdragend pm:vertexremoved", write);
  }
  function replaceWith(layer) {
    drawn.clearLayers();
    drawn.addLayer(layer);
    watch(layer);
    write();
  }
  function readText(fit) {
    // What the text field holds (typed, pasted, or kept by a refused form) shown on the map.
    var text = textarea.value.trim();
    drawn.clearLayers();
    if (!text) return;
    try {
      L.geoJSON(JSON.parse(text)).eachLayer(function (layer) { drawn.addLayer(layer); watch(layer); });
    } catch (e) { say(el.dataset.msgBad); return; }
    if (fit && drawn.getLayers().length) map.fitBounds(drawn.getBounds(), { maxZoom: 17 });
  }

  map.on("pm:create", function (e) { replaceWith(e.layer); });
  map.on("pm:remove", function (e) { drawn.removeLayer(e.layer); write(); });
  textarea.addEventListener("change", function () { readText(true); });
  readText(true);

  // The keyboard way: corners at the centre of the map (the cross), then "finish".
  function showSketch() {
    sketch.line.setLatLngs(sketch.corners);
    say(el.dataset.msgCorners.replace("{n}", sketch.corners.length));
  }
  var actions = {
    point: function () {
      replaceWith(L.marker(map.getCenter()));
    },
    line: function () { sketch.kind = "line"; sketch.corners = []; showSketch(); },
    area: function () { sketch.kind = "area"; sketch.corners = []; showSketch(); },
    corner: function () {
      if (!sketch.kind) sketch.kind = "area";
      sketch.corners.push(map.getCenter());
      showSketch();
    },
    undo: function () { sketch.corners.pop(); showSketch(); },
    finish: function () {
      var needed = sketch.kind === "line" ? 2 : 3;
      if (sketch.corners.length < needed) { say(el.dataset.msgFew.replace("{n}", needed)); return; }
      var layer = sketch.kind === "line" ? L.polyline(sketch.corners) : L.polygon(sketch.corners);
      sketch.kind = null; sketch.corners = []; sketch.line.setLatLngs([]);
      replaceWith(layer);
    },
    clear: function () {
      sketch.kind = null; sketch.corners = []; sketch.line.setLatLngs([]);
      drawn.clearLayers(); write();
    },
  };
  document.querySelectorAll("#intervention-map-tools [data-action]").forEach(function (button) {
    button.addEventListener("click", function () { actions[button.dataset.action](); });
  });
})();
