/* peakmap pages: a form POST to the API, shared by upload.js and scenario.js (served locally).
 * With accounts (web/auth.py) the session's CSRF token is the readable cookie peakmap_csrf;
 * every state-changing request sends it back as X-CSRF-Token. peakmapPost(url, formData)
 * resolves to {status, body}: the JSON answer, or {detail: text} when it is not JSON. */
(function () {
  'use strict';

  function csrfHeaders() {
    var m = document.cookie.match(/(?:^|;\s*)peakmap_csrf=([^;]*)/);
    return m ? { 'X-CSRF-Token': decodeURIComponent(m[1]) } : {};
  }

  window.peakmapPost = function (url, formData) {
    return fetch(url, { method: 'POST', body: formData, headers: csrfHeaders() })
      .then(function (r) {
        return r.text().then(function (text) {
          var body;
          try { body = JSON.parse(text); } catch (e) { body = { detail: text }; }
          return { status: r.status, body: body };
        });
      });
  };
})();
