/* peakmap scenario page: move one proposed site (POST /api/proposals/move), then reload the
 * recomputed table. Messages are put into the page with textContent, never as HTML.
 * The POST (CSRF token, answer as {status, body}): post.js. */
(function () {
  'use strict';
  var T = JSON.parse(document.getElementById('pm-move-text').textContent);
  var form = document.getElementById('pm-move');
  var site = document.getElementById('pm-move-site');
  var result = document.getElementById('pm-move-result');
  var go = document.getElementById('pm-move-go');

  function show(kind, text) {
    result.className = 'pm-result ' + kind;
    result.textContent = text;
  }

  var crs = document.getElementById('pm-move-crs');
  var pairs = { wgs84: document.getElementById('pm-move-ll'), xy: document.getElementById('pm-move-xy') };

  function fill() {
    // the chosen site's place in both coordinate choices
    var opt = site.options[site.selectedIndex];
    form.elements.lon.value = opt.getAttribute('data-lon');
    form.elements.lat.value = opt.getAttribute('data-lat');
    form.elements.x.value = opt.getAttribute('data-x');
    form.elements.y.value = opt.getAttribute('data-y');
  }

  function choose() {
    // only the chosen pair is shown and sent (disabled inputs are left out of FormData)
    Object.keys(pairs).forEach(function (key) {
      var on = key === crs.value;
      pairs[key].hidden = !on;
      pairs[key].querySelectorAll('input').forEach(function (i) { i.disabled = !on; });
    });
  }

  site.addEventListener('change', fill);
  crs.addEventListener('change', choose);
  choose();

  go.addEventListener('click', function () {
    var fd = new FormData(form);
    go.disabled = true;
    show('busy', T.busy);
    window.peakmapPost('/api/proposals/move', fd).then(function (a) {
      go.disabled = false;
      window.peakmapMoved = a;
      if (a.status === 200) {
        var url = new URL(window.location.href);
        url.searchParams.set('moved', a.body.site_id);
        window.location.assign(url.toString());
        return;
      }
      var d = a.body.detail;
      if (typeof d !== 'string') { d = JSON.stringify(d); }
      show('bad', T.refused + ' (' + a.status + '): ' + d);
    }).catch(function (e) { go.disabled = false; show('bad', T.failed + ': ' + String(e)); });
  });
})();
