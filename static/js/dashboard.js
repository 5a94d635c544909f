// Officers' dashboard: choropleth of zones (GeoJSON from PostGIS) and the Plotly trend chart.
// Zones and the chart never depend on base tiles, which are the only outside resource.
(function () {
  "use strict";
  // Colour-blind-safe diverging classes (ColorBrewer RdYlBu), low share feeling safe = red.
  var CLASSES = [
    { upTo: 0.5, colour: "#d73027", label: "< 50%" },
    { upTo: 0.65, colour: "#fc8d59", label: "50–65%" },
    { upTo: 0.76, colour: "#fee090", label: "65–76%" },
    { upTo: 0.85, colour: "#91bfdb", label: "76–85%" },
    { upTo: 1.01, colour: "#4575b4", label: "≥ 85%" },
  ];
  var MIN_CONFIDENT_N = 30;  // below this the fill fades: few answers, wide interval

  function colourFor(share) {
    for (var i = 0; i < CLASSES.length; i++) if (share < CLASSES[i].upTo) return CLASSES[i].colour;
    return CLASSES[CLASSES.length - 1].colour;
  }
  function pct(x) { return (100 * x).toFixed(0) + "%"; }

  var el = document.getElementById("zone-map");
  if (el && typeof L !== "undefined") {
    // Hashed static names hide the icons from Leaflet's own path detection; say where they are.
    L.Icon.Default.imagePath = el.dataset.leafletImages;
    var map = L.map(el, { preferCanvas: false }).setView([parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)], 12);
    L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution, maxZoom: 19 }).addTo(map);
    fetch(el.dataset.geojson, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        var layer = L.geoJSON(data, {
          style: function (f) {
            var p = f.properties;
            if (p.share_feeling_safe === null) return { color: "#666", weight: 1, fillColor: "#bbb", fillOpacity: 0.25 };
            var confidence = Math.min(1, p.n / MIN_CONFIDENT_N);
            return { color: "#333", weight: 1, fillColor: colourFor(p.share_feeling_safe), fillOpacity: 0.25 + 0.55 * confidence };
          },
          onEachFeature: function (f, lyr) {
            var p = f.properties;
            var text = "<strong>" + p.name + "</strong> (" + p.code + ")<br>";
            if (p.share_feeling_safe === null) text += el.dataset.labelNone;
            else text += pct(p.share_feeling_safe) + " " + el.dataset.labelShare + " (n=" + p.n + ")<br>" +
              el.dataset.labelInterval + ": " + pct(p.lower) + "–" + pct(p.upper);
            lyr.bindTooltip(text, { sticky: true });
          },
        }).addTo(map);
        layer.eachLayer(function (lyr) {
          var path = lyr.getElement && lyr.getElement();
          if (!path) return;
          var p = lyr.feature.properties;
          path.setAttribute("data-zone", p.code);
          path.setAttribute("data-n", String(p.n));
          path.classList.add("zone", p.share_feeling_safe === null ? "zone-empty" : "zone-data");
        });
        if (data.features.length) map.fitBounds(layer.getBounds(), { padding: [10, 10] });
        el.setAttribute("data-zones-loaded", String(data.features.length));
      })
      .catch(function (err) { el.setAttribute("data-error", String(err)); });

    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "legend");
      div.innerHTML = "<strong>" + el.dataset.labelShare + "</strong><br>" + CLASSES.map(function (c) {
        return '<i style="background:' + c.colour + '"></i>' + c.label;
      }).join("<br>") + '<br><i style="background:#bbb"></i>' + el.dataset.labelNone;
      return div;
    };
    legend.addTo(map);
  }

  var chart = document.getElementById("trend-chart");
  var data = document.getElementById("trend-data");
  if (chart && data && typeof Plotly !== "undefined") {
    var figure = JSON.parse(data.textContent);
    Plotly.newPlot(chart, figure.data, figure.layout, { responsive: true, displaylogo: false });
  }
})();
