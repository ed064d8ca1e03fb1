/* peakmap: layers too large to inline are loaded by bounding box and zoom from the API.
 * Every attribute value is put into the page with textContent, never as HTML. */
(function () {
  'use strict';
  window.peakmapLoaded = window.peakmapLoaded || {};
  window.peakmapLoadedAt = window.peakmapLoadedAt || {};
  window.peakmapErrors = window.peakmapErrors || [];

  function key(v) { return v === null || v === undefined ? '' : String(v); }

  function colorOf(props, st) {
    if (st.category) {
      var raw = key(props[st.category.field]);
      if (st.category.prefix) { raw = raw.substring(0, st.category.prefix); }
      var c = st.category.colors[raw];
      return c || st.color;
    }
    if (st.ramp) {
      var num = props[st.ramp.field];
      var den = st.ramp.den ? props[st.ramp.den] : 1;
      if (num === null || num === undefined || !den) { return st.ramp.missing; }
      var v = st.ramp.den ? 100 * num / den : num;
      for (var i = 0; i < st.ramp.breaks.length; i++) {
        if (v <= st.ramp.breaks[i]) { return st.ramp.colors[i]; }
      }
      return st.ramp.colors[st.ramp.colors.length - 1];
    }
    return st.color;
  }

  // A value as in the Python tooltips (web/tips.py): codes translated, numbers rounded.
  function shown(f, v, tips) {
    if (typeof v === 'number') {
      if (!isFinite(v)) { return ''; }
      var text;
      if (tips.plain.indexOf(f) >= 0) { text = String(v); }
      else if (Math.abs(v) >= 100 || Number.isInteger(v)) {
        text = Math.round(v).toLocaleString('en-US');
      } else {
        text = v.toLocaleString('en-US', { maximumFractionDigits: 2 });
      }
      return tips.units[f] ? text + ' ' + tips.units[f] : text;
    }
    var names = tips.values[f] || {};
    var k = key(v);
    if (Object.prototype.hasOwnProperty.call(names, k)) { return names[k]; }
    // a proposed site's name: its words in the page's language, its id kept (web/tips.py)
    var starts = (tips.prefixes || {})[f] || [];
    for (var i = 0; i < starts.length; i++) {
      if (k.indexOf(starts[i][0]) === 0) { return starts[i][1] + k.slice(starts[i][0].length); }
    }
    return k;
  }

  function tipNode(props, cfg) {
    var div = document.createElement('div');
    var head = document.createElement('b');
    head.textContent = cfg.title;
    div.appendChild(head);
    if (props._agg) {
      var row = document.createElement('div');
      row.textContent = cfg.text.count + ': ' + key(props.count) + ' — ' + cfg.text.aggregated;
      div.appendChild(row);
      var rp = cfg.style.ramp;
      if (rp && rp.den && props[rp.den] > 0) {
        var share = document.createElement('div');
        share.textContent = cfg.text.share + ': ' +
          (100 * props[rp.field] / props[rp.den]).toFixed(1) + ' %';
        div.appendChild(share);
      }
      return div;
    }
    var tips = cfg.tips || { labels: {}, units: {}, values: {}, plain: [] };
    cfg.tip_fields.forEach(function (f) {
      var v = props[f];
      if (v === null || v === undefined || v === '') { return; }
      var r = document.createElement('div');
      var k = document.createElement('span');
      k.className = 'pm-k';
      k.textContent = (tips.labels[f] || f) + ': ';
      var val = document.createElement('span');
      val.textContent = shown(f, v, tips);
      r.appendChild(k);
      r.appendChild(val);
      div.appendChild(r);
    });
    return div;
  }

  window.peakmapDynamicLayer = function (map, group, cfg) {
    var seq = 0;
    var st = cfg.style;
    var maxCount = 1;
    function style(f) {
      var p = f.properties;
      if (p._agg) {
        if (st.ramp && p[st.ramp.field] !== undefined) {
          // Grid summary of a ratio (PV): the cell's own share, summed over its features.
          return { stroke: false, fill: true, fillColor: colorOf(p, st), fillOpacity: 0.8 };
        }
        // Grid summary: the layer's colour, darker where more features fall in the cell.
        return { stroke: false, fill: true, fillColor: st.color,
                 fillOpacity: 0.1 + 0.6 * p.count / maxCount };
      }
      var c = colorOf(p, st);
      var out = { color: st.fill ? st.stroke || c : c, weight: st.weight, fill: st.fill,
                  fillColor: c, fillOpacity: st.fill_opacity };
      // Flag outlines (web/styles.py outlines_of): the first rule whose field is true.
      var rules = st.outline || [];
      for (var i = 0; i < rules.length; i++) {
        if (key(p[rules[i].field]) === 'true') {
          out.color = rules[i].color;
          out.weight = rules[i].weight;
          break;
        }
      }
      return out;
    }
    function load() {
      if (!map.hasLayer(group)) { return; }
      var b = map.getBounds();
      var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
        .map(function (v) { return v.toFixed(6); }).join(',');
      var mine = ++seq;
      var url = cfg.url + '?bbox=' + bbox + '&zoom=' + map.getZoom() + '&datum=' + cfg.datum +
        '&fields=' + encodeURIComponent(cfg.fields) +
        (cfg.sums ? '&sums=' + encodeURIComponent(cfg.sums) : '');
      fetch(url).then(function (r) {
        if (!r.ok) { throw new Error(cfg.name + ': HTTP ' + r.status); }
        return r.json();
      }).then(function (fc) {
        if (mine !== seq) { return; }
        maxCount = 1;
        fc.features.forEach(function (f) {
          if (f.properties._agg) { maxCount = Math.max(maxCount, f.properties.count); }
        });
        group.clearLayers();
        L.geoJSON(fc, {
          style: style,
          pointToLayer: function (f, ll) {
            return f.properties._agg ? L.rectangle(L.latLngBounds(ll, ll)) :
              L.circleMarker(ll, { radius: st.radius });
          },
          onEachFeature: function (f, layer) {
            layer.bindTooltip(function () { return tipNode(f.properties, cfg); }, { sticky: true });
          }
        }).addTo(group);
        window.peakmapLoaded[cfg.name] = fc.features.length;
        window.peakmapLoadedAt[cfg.name] = performance.now();
      }).catch(function (e) { window.peakmapErrors.push(String(e)); });
    }
    if (map.hasLayer(group)) {
      // Layers drawn when the page opens: lets a test or benchmark know when all arrived.
      window.peakmapExpected = (window.peakmapExpected || 0) + 1;
    }
    map.on('moveend', load);
    group.on('add', load);
    load();
  };

  // Offline reference basemap from the project's land use and roads (web/basemap.py).
  var LANDUSE = { R: '#f3e9c6', A: '#f2d4d4', B: '#f2cfc0', M: '#e2d9ef', W: '#ead8ef',
                  S: '#e6e6e6', U: '#dde3e6', G: '#d4ead0', E: '#d6e9d2', H: '#eeeeee' };
  var ROAD_WIDTH = { primary: 3, secondary: 2.4, local: 1.6, lane: 0.8, footway: 0.6 };
  window.peakmapBasemap = function (map, cfg) {
    var pane = map.createPane('pmBase');
    pane.style.zIndex = 250;
    pane.style.pointerEvents = 'none';
    var renderer = L.canvas({ pane: 'pmBase' });
    var group = L.layerGroup().addTo(map);
    var seq = 0;
    function style(f) {
      var p = f.properties;
      if (p.k === 'road') {
        return { color: '#ffffff', weight: ROAD_WIDTH[p.c] || 1.2, opacity: 1,
                 renderer: renderer, interactive: false };
      }
      if (p.k === 'water') {
        return { stroke: false, fill: true, fillColor: '#a8d0ea', fillOpacity: 1,
                 renderer: renderer, interactive: false };
      }
      return { stroke: false, fill: true, fillColor: LANDUSE[p.c] || '#eeeeee',
               fillOpacity: 1, renderer: renderer, interactive: false };
    }
    function load() {
      var b = map.getBounds();
      var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
        .map(function (v) { return v.toFixed(6); }).join(',');
      var mine = ++seq;
      fetch(cfg.url + '?bbox=' + bbox + '&zoom=' + map.getZoom() + '&datum=' + cfg.datum)
        .then(function (r) {
          if (!r.ok) { throw new Error('basemap: HTTP ' + r.status); }
          return r.json();
        }).then(function (fc) {
          if (mine !== seq) { return; }
          group.clearLayers();
          L.geoJSON(fc, { style: style, pane: 'pmBase', interactive: false }).addTo(group);
          window.peakmapBasemapLoaded = fc.features.length;
        }).catch(function (e) { window.peakmapErrors.push(String(e)); });
    }
    map.on('moveend', load);
    load();
  };

  // Zone names as permanent labels; each name is set with textContent (never HTML).
  window.peakmapLabels = function (map, labels, minZoom, css) {
    if (!map.getPane('pmLabels')) {
      var pane = map.createPane('pmLabels');
      pane.style.zIndex = 650;
      pane.style.pointerEvents = 'none';
    }
    var group = L.layerGroup();
    labels.forEach(function (l) {
      var el = document.createElement('span');
      el.textContent = l[2];
      var icon = L.divIcon({ className: 'pm-label ' + css, html: el, iconSize: null });
      L.marker([l[0], l[1]], { icon: icon, pane: 'pmLabels', interactive: false,
                               keyboard: false }).addTo(group);
    });
    function toggle() {
      if (map.getZoom() >= minZoom) { group.addTo(map); } else { group.remove(); }
    }
    map.on('zoomend', toggle);
    toggle();
    window.peakmapLabelCount = (window.peakmapLabelCount || 0) + labels.length;
  };

  window.peakmapSetBasemap = function (value) {
    var u = new URL(window.location.href);
    u.searchParams.set('basemap', value);
    window.location.href = u.pathname + u.search;
  };
})();
