// Officers' dashboards: the zone choropleth (colours, classes and opacity computed by the server),
// switchable layers, and every Plotly figure built server-side (elements with data-figure).
// Zones, layers and charts never depend on base tiles, which are the only outside resource.
(function () {
  "use strict";

  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    });
  }

  var el = document.getElementById("zone-map");
  if (el && typeof L !== "undefined") {
    var d = el.dataset;
    L.Icon.Default.imagePath = d.leafletImages;
    var map = L.map(el).setView([parseFloat(d.lat), parseFloat(d.lon)], 12);
    L.tileLayer(d.tiles, { attribution: d.attribution, maxZoom: 19 }).addTo(map);

    // Zone outlines come simplified for the map's zoom (about half a pixel): fetched again, from the
    // server's cache, when the zoom changes.
    var zoneLayer = null;
    var zonesZoom = null;
    function loadZones(first) {
      var zoom = map.getZoom();
      zonesZoom = zoom;
      return getJSON(d.geojson + "&zoom=" + zoom).then(function (data) {
        var layer = L.geoJSON(data, {
          style: function (f) {
            var p = f.properties;
            return { color: "#333", weight: 1, fillColor: p.colour, fillOpacity: p.opacity };
          },
          onEachFeature: function (f, lyr) {
            var p = f.properties;
            var text = "<strong>" + esc(p.name) + "</strong> (" + esc(p.code) + ")<br>";
            if (p.value === null) text += esc(d.labelNone);
            else {
              text += esc(p.label) + " (n=" + p.n + ")";
              if (p.lower !== null) text += "<br>" + esc(d.labelInterval) + ": " + p.lower + "–" + p.upper;
              if (p.coverage !== null) text += "<br>" + esc(d.labelCoverage) + ": " + Math.round(100 * p.coverage) + "%";
              if (p.grade) text += "<br>" + esc(d.labelGrade) + ": " + esc(p.grade);
            }
            lyr.bindTooltip(text, { sticky: true });
            lyr.on("click", function () { window.location.href = d.zoneUrl.replace("CODE", encodeURIComponent(p.code)); });
          },
        });
        if (zoneLayer) map.removeLayer(zoneLayer);
        zoneLayer = layer.addTo(map);
        layer.bringToBack();
        layer.eachLayer(function (lyr) {
          var path = lyr.getElement && lyr.getElement();
          if (!path) return;
          var p = lyr.feature.properties;
          path.setAttribute("data-zone", p.code);
          path.setAttribute("data-n", String(p.n));
          path.setAttribute("data-colour", p.colour);
          path.classList.add("zone", p.value === null ? "zone-empty" : "zone-data");
        });
        if (first && data.features.length) map.fitBounds(layer.getBounds(), { padding: [10, 10] });
        el.setAttribute("data-zones-loaded", String(data.features.length));
        el.setAttribute("data-zones-zoom", String(zoom));
      }).catch(function (err) { el.setAttribute("data-error", String(err)); });
    }
    loadZones(true).then(function () {
      map.on("zoomend", function () { if (map.getZoom() !== zonesZoom) loadZones(false); });
    });

    var layerUrl = function (name, extra) { return d.layersUrl.replace("LAYER", name) + (extra || ""); };
    var on = (d.layers || "").split(",").filter(Boolean);
    if (on.indexOf("hotspots") >= 0) {
      getJSON(layerUrl("hotspots")).then(function (data) {
        L.geoJSON(data, {
          style: function (f) {
            var unsafe = f.properties.cluster === "unsafe";
            return { color: unsafe ? "#b2182b" : "#2166ac", weight: 3, fill: false, dashArray: unsafe ? null : "6 4" };
          },
          onEachFeature: function (f, lyr) { lyr.bindTooltip(esc(f.properties.name) + ": " + esc(f.properties.cluster_label)); },
        }).addTo(map);
        el.setAttribute("data-hotspots-loaded", String(data.features.length));
      });
    }
    if (on.indexOf("projects") >= 0) {
      getJSON(layerUrl("projects")).then(function (data) {
        L.geoJSON(data, {
          style: { color: "#5c2d91", weight: 2 },
          pointToLayer: function (f, latlng) { return L.circleMarker(latlng, { radius: 6, color: "#5c2d91" }); },
          onEachFeature: function (f, lyr) { lyr.bindTooltip(esc(f.properties.title) + " (" + esc(f.properties.status) + ")"); },
        }).addTo(map);
        el.setAttribute("data-projects-loaded", String(data.features.length));
      });
    }
    if (on.indexOf("sensors") >= 0) {
      getJSON(layerUrl("sensors")).then(function (data) {
        L.geoJSON(data, {
          pointToLayer: function (f, latlng) {
            var colour = f.properties.health === "ok" ? "#1a9641" : (f.properties.health === "silent" ? "#d7191c" : "#777");
            return L.circleMarker(latlng, { radius: 5, color: "#222", weight: 1, fillColor: colour, fillOpacity: 0.9 });
          },
          onEachFeature: function (f, lyr) {
            var p = f.properties;
            // The health code in the page's language (labels from the map's data- attributes).
            var health = p.health === "ok" ? el.dataset.labelHealthOk : (p.health === "silent" ? el.dataset.labelHealthSilent : el.dataset.labelHealthNone);
            lyr.bindTooltip(esc(p.external_id) + " · " + esc(p.kind) + " · " + esc(health || p.health) + (p.last_seen_at ? " · " + esc(p.last_seen_at) : ""));
          },
        }).addTo(map);
        el.setAttribute("data-sensors-loaded", String(data.features.length));
      });
    }
    if (on.indexOf("reports") >= 0) {
      var clusters = L.layerGroup().addTo(map);
      var loadClusters = function () {
        getJSON(layerUrl("reports", "&zoom=" + map.getZoom())).then(function (data) {
          clusters.clearLayers();
          data.features.forEach(function (f) {
            var c = f.geometry.coordinates, n = f.properties.count;
            L.circleMarker([c[1], c[0]], { radius: Math.min(30, 4 + 3 * Math.sqrt(n)), color: "#333", weight: 1, fillColor: "#f46d43", fillOpacity: 0.6 })
              .bindTooltip(n + " " + esc(d.labelReports)).addTo(clusters);
          });
          el.setAttribute("data-reports-loaded", String(data.features.length));
        });
      };
      map.on("zoomend", loadClusters);
      loadClusters();
    }
  }

  if (typeof Plotly !== "undefined") {
    document.querySelectorAll("[data-figure]").forEach(function (chart) {
      var data = document.getElementById(chart.dataset.figure);
      if (!data) return;
      var figure = JSON.parse(data.textContent);
      Plotly.newPlot(chart, figure.data, figure.layout, { responsive: true, displaylogo: false });
    });
  }
})();
