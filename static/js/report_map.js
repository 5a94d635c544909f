// Public map of published reports: the server clusters them per grid cell (on the privacy grid, never an
// exact place); this script draws the city's own layers, the clusters with their counts and colours, their
// popups, and a list of what is in view that keyboards and screen readers can use. Without JavaScript the
// page's paged list shows the same reports.
(function () {
  "use strict";
  var el = document.getElementById("public-map");
  if (!el || typeof L === "undefined") return;
  el.hidden = false;
  var labels = JSON.parse(document.getElementById("map-labels").textContent);
  var texts = document.getElementById("map-texts").dataset;
  var COLOURS = { 1: "#b2182b", 2: "#ef8a62", 3: "#67a9cf", 4: "#2166ac" };
  var DARK_TEXT = { 2: true, 3: true };
  var lang = document.documentElement.lang || "it";
  L.Icon.Default.imagePath = el.dataset.leafletImages;
  var map = L.map(el).setView([parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)], 13);
  L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution, maxZoom: 18 }).addTo(map);

  function zoneUrl(code) { return "/map/zones/" + encodeURIComponent(code) + "/"; }
  function formatDate(iso) {
    var d = new Date(iso + "T12:00:00");
    return isNaN(d) ? iso : d.toLocaleDateString(lang, { day: "numeric", month: "long", year: "numeric" });
  }
  // The level most people in a cluster felt (ties go to the less safe level): its colour and its words.
  function dominant(levels) {
    var best = 0;
    for (var i = 1; i < 4; i++) if (levels[i] > levels[best]) best = i;
    return best + 1;
  }
  function describe(p) {
    var level = dominant(p.levels);
    var count = p.count + " " + (p.count === 1 ? texts.report : texts.reports);
    return count + " · " + labels.levels[level];
  }
  function popupContent(p) {
    var box = document.createElement("div");
    var title = document.createElement("p");
    title.className = "fw-semibold mb-1";
    title.textContent = describe(p);
    box.appendChild(title);
    var list = document.createElement("ul");
    list.className = "list-unstyled mb-1 small";
    (p.latest || []).forEach(function (r) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "/reports/" + encodeURIComponent(r.code) + "/";
      a.textContent = r.category;
      li.appendChild(a);
      li.appendChild(document.createTextNode(" · " + labels.levels[r.level] + " · " + formatDate(r.date) + " · " + (labels.statuses[r.status] || r.status)));
      list.appendChild(li);
    });
    if (p.count > 1) { var caption = document.createElement("p"); caption.className = "small mb-1"; caption.textContent = texts.latest; box.appendChild(caption); }
    box.appendChild(list);
    if (p.zone) {
      var zone = document.createElement("a");
      zone.href = zoneUrl(p.zone);
      zone.textContent = texts.zonePage;
      box.appendChild(zone);
    }
    return box;
  }
  function icon(p) {
    var level = dominant(p.levels);
    // At least 44 px: every circle is a tap target (and a keyboard stop).
    var size = Math.round(Math.min(64, 44 + 6 * Math.log(p.count)));
    return L.divIcon({
      className: "",
      iconSize: [size, size],
      html: '<div class="cluster-icon' + (DARK_TEXT[level] ? " light-text-dark" : "") + '" style="width:' + size + "px;height:" + size +
        "px;background:" + COLOURS[level] + '">' + p.count + "</div>",
    });
  }

  // The city's own layers: boundary and zone outlines (a zone opens its public page).
  fetch(el.dataset.layers, { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(function (data) {
      var boundary = null;
      L.geoJSON(data, {
        filter: function (f) { return f.properties.layer === "boundary" || f.properties.layer === "zone"; },
        style: function (f) {
          return f.properties.layer === "boundary"
            ? { color: "#003366", weight: 3, fill: false, interactive: false }
            : { color: "#0066cc", weight: 1, fillColor: "#ffffff", fillOpacity: 0.25, className: "zone-outline" };
        },
        onEachFeature: function (f, layer) {
          if (f.properties.layer === "boundary") { boundary = layer; return; }
          var p = f.properties;
          var link = document.createElement("a");
          link.href = zoneUrl(p.code);
          link.textContent = p.district ? p.name + ", " + p.district : p.name;
          layer.bindPopup(link);
        },
      }).addTo(map).bringToBack();
      if (boundary) map.fitBounds(boundary.getBounds(), { padding: [8, 8] });
    })
    .catch(function () {});

  var clusters = L.layerGroup().addTo(map);
  var features = [];
  var markers = [];
  var count = document.getElementById("map-count");
  var listEl = document.getElementById("in-view-list");
  document.getElementById("in-view").hidden = false;
  function listInView() {
    var bounds = map.getBounds();
    listEl.textContent = "";
    var places = 0, reports = 0;
    features.forEach(function (f, i) {
      var c = f.geometry.coordinates;
      if (!bounds.contains([c[1], c[0]])) return;
      places++;
      reports += f.properties.count;
      if (places > 100) return;
      var li = document.createElement("li");
      var swatch = document.createElement("span");
      swatch.className = "swatch level-" + dominant(f.properties.levels);
      swatch.setAttribute("aria-hidden", "true");
      swatch.style.cssText = "display:inline-block;width:.8rem;height:.8rem;border-radius:50%;margin-right:.3rem;border:1px solid #333";
      li.appendChild(swatch);
      var latest = (f.properties.latest || [])[0];
      li.appendChild(document.createTextNode(describe(f.properties) + (latest ? " · " + latest.category + ", " + formatDate(latest.date) : "") + " "));
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-link btn-sm p-0 align-baseline";
      button.textContent = texts.show;
      button.addEventListener("click", function () {
        map.panTo([c[1], c[0]]);
        markers[i].openPopup();
        var link = markers[i].getPopup().getElement().querySelector("a");
        if (link) link.focus();
      });
      li.appendChild(button);
      listEl.appendChild(li);
    });
    count.textContent = places ? texts.inView.replace("%(places)s", places).replace("%(reports)s", reports) : texts.none;
  }
  var loaded = null;
  function load() {
    var zoom = map.getZoom();
    var url = el.dataset.clusters + "?" + (el.dataset.query ? el.dataset.query + "&" : "") + "zoom=" + zoom;
    if (url === loaded) { listInView(); return; }
    loaded = url;
    fetch(url, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        if (url !== loaded) return;
        clusters.clearLayers();
        features = data.features;
        markers = features.map(function (f) {
          var c = f.geometry.coordinates;
          var m = L.marker([c[1], c[0]], { icon: icon(f.properties), title: describe(f.properties), keyboard: true });
          m.bindPopup(popupContent(f.properties));
          m.on("add", function () { var e = m.getElement(); if (e) e.setAttribute("aria-label", describe(f.properties)); });
          clusters.addLayer(m);
          return m;
        });
        listInView();
      })
      .catch(function () { count.textContent = texts.failed; });
  }
  map.on("moveend", load);
  load();
})();
