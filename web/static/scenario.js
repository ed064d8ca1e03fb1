/* peakmap scenario page: move one proposed site (POST /api/proposals/move), then reload the
 * recomputed table. Messages are put into the page with textContent, never as HTML. */
(function () {
  'use strict';
  var T = JSON.parse(document.getElementById('pm-move-text').textContent);
  var form = document.getElementById('pm-move');
  var site = document.getElementById('pm-move-site');
  var result = document.getElementById('pm-move-result');
  var go = document.getElementById('pm-move-go');

  function csrfHeaders() {
    // as upload.js: the session's CSRF token (readable cookie) goes back as X-CSRF-Token
    var m = document.cookie.match(/(?:^|;\s*)peakmap_csrf=([^;]*)/);
    return m ? { 'X-CSRF-Token': decodeURIComponent(m[1]) } : {};
  }

  function show(kind, text) {
    result.className = 'pm-result ' + kind;
    result.textContent = text;
  }

  site.addEventListener('change', function () {
    var opt = site.options[site.selectedIndex];
    form.elements.lon.value = opt.getAttribute('data-lon');
    form.elements.lat.value = opt.getAttribute('data-lat');
  });

  go.addEventListener('click', function () {
    var fd = new FormData(form);
    go.disabled = true;
    show('busy', T.busy);
    fetch('/api/proposals/move', { method: 'POST', body: fd, headers: csrfHeaders() })
      .then(function (r) {
        return r.text().then(function (text) {
          var body;
          try { body = JSON.parse(text); } catch (e) { body = { detail: text }; }
          return { status: r.status, body: body };
        });
      }).then(function (a) {
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
