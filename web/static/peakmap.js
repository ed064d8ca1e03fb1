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

  function tipNode(props, cfg) {
    var div = document.createElement('div');
    var head = document.createElement('b');
    head.textContent = cfg.title;
    div.appendChild(head);
    if (props._agg) {
      var row = document.createElement('div');
      row.textContent = cfg.text.count + ': ' + key(props.count) + ' — ' + cfg.text.aggregated;
      div.appendChild(row);
      return div;
    }
    cfg.tip_fields.forEach(function (f) {
      var v = props[f];
      if (v === null || v === undefined || v === '') { return; }
      var r = document.createElement('div');
      var k = document.createElement('span');
      k.className = 'pm-k';
      k.textContent = f + ': ';
      var val = document.createElement('span');
      val.textContent = key(v);
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
        // Grid summary: the layer's colour, darker where more features fall in the cell.
        return { stroke: false, fill: true, fillColor: st.color,
                 fillOpacity: 0.1 + 0.6 * p.count / maxCount };
      }
      var c = colorOf(p, st);
      return { color: st.fill ? st.stroke || c : c, weight: st.weight, fill: st.fill,
               fillColor: c, fillOpacity: st.fill_opacity };
    }
    function load() {
      if (!map.hasLayer(group)) { return; }
      var b = map.getBounds();
      var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]
        .map(function (v) { return v.toFixed(6); }).join(',');
      var mine = ++seq;
      var url = cfg.url + '?bbox=' + bbox + '&zoom=' + map.getZoom() + '&datum=' + cfg.datum +
        '&fields=' + encodeURIComponent(cfg.fields);
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

  window.peakmapSetBasemap = function (value) {
    var u = new URL(window.location.href);
    u.searchParams.set('basemap', value);
    window.location.href = u.pathname + u.search;
  };
})();
