// Public map of funded projects' sites (list and detail pages). The sites come embedded in the page
// as GeoJSON; base tiles are the only outside resource and the map works without them.
(function () {
  "use strict";
  var STATUS_COLOURS = { planned: "#5c6f82", active: "#0066cc", completed: "#008758", suspended: "#cc7a00", withdrawn: "#a61919" };
  var el = document.getElementById("projects-map");
  var data = document.getElementById("project-sites");
  if (!el || !data || typeof L === "undefined") return;
  var sites = JSON.parse(data.textContent);
  var map = L.map(el).setView([parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)], 12);
  L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution, maxZoom: 19 }).addTo(map);

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }
  function colour(feature) { return STATUS_COLOURS[feature.properties.statusCode] || "#0066cc"; }

  var layer = L.geoJSON(sites, {
    style: function (f) { return { color: colour(f), weight: 3, fillOpacity: 0.35 }; },
    // Points as circles: no marker images to fetch, and they stay visible at every zoom.
    pointToLayer: function (f, latlng) { return L.circleMarker(latlng, { radius: 8, color: colour(f), fillOpacity: 0.6 }); },
    onEachFeature: function (f, lyr) {
      var p = f.properties;
      var html = "<strong>" + escapeHtml(p.title) + "</strong><br>" + escapeHtml(p.status);
      if (el.dataset.labelOpen) html += '<br><a href="' + encodeURI(p.url) + '">' + escapeHtml(el.dataset.labelOpen) + "</a>";
      lyr.bindPopup(html);
      lyr.bindTooltip(escapeHtml(p.title), { sticky: true });
    },
  }).addTo(map);

  var count = 0;
  layer.eachLayer(function (lyr) {
    count += 1;
    var mark = function (l) {
      var path = l.getElement && l.getElement();
      if (path) { path.classList.add("project-site"); path.setAttribute("data-project", String(lyr.feature.properties.id)); }
    };
    if (lyr.eachLayer) lyr.eachLayer(mark); else mark(lyr);
  });
  if (count) map.fitBounds(layer.getBounds(), { padding: [20, 20], maxZoom: 16 });
  el.setAttribute("data-sites-loaded", String(count));
})();
