/* peakmap dashboard: filter the compliance matrix by text, status, department and group.
 * Only shows and hides what the server rendered; no text is put into the page. */
(function () {
  'use strict';
  var table = document.getElementById('pm-matrix');
  if (!table) { return; }
  var search = document.getElementById('pm-search');
  var status = document.getElementById('pm-status');
  var dept = document.getElementById('pm-dept');
  var group = document.getElementById('pm-group');
  var heads = Array.prototype.slice.call(table.querySelectorAll('thead th.ind'));
  var groupHeads = Array.prototype.slice.call(table.querySelectorAll('thead th.grp'));
  var rows = Array.prototype.slice.call(table.querySelectorAll('tbody tr'));
  // A cell's column is its place after the zone header; its status is its st- class.
  function colOf(td) { return td.cellIndex - 1; }
  function statusOf(td) { var m = /(?:^| )st-([a-z-]+)/.exec(td.className); return m ? m[1] : ''; }

  function apply() {
    var q = search.value.trim().toLowerCase();
    var st = status.value, dp = dept.value, gr = group.value;
    // Columns: group and department; the text query narrows columns when it names one.
    var colOn = heads.map(function (h) {
      if (gr && h.dataset.group !== gr) { return false; }
      if (dp && h.dataset.dept.split('|').indexOf(dp) < 0) { return false; }
      return true;
    });
    var textCols = q ? heads.map(function (h) {
      return h.textContent.toLowerCase().indexOf(q) >= 0;
    }) : null;
    var anyTextCol = textCols && textCols.some(function (v, i) { return v && colOn[i]; });
    if (anyTextCol) { colOn = colOn.map(function (v, i) { return v && textCols[i]; }); }
    // Rows: the text query (when it named no column) and the status filter.
    var colHit = colOn.map(function () { return false; });
    var shown = 0;
    rows.forEach(function (tr) {
      var name = tr.querySelector('th.zone').textContent.toLowerCase();
      var on = !q || anyTextCol || name.indexOf(q) >= 0;
      var cells = tr.querySelectorAll('td.c');
      var hit = !st;
      cells.forEach(function (td) {
        var i = colOf(td), s = statusOf(td);
        var match = !st || s === st;
        td.classList.toggle('dim', !!st && !match);
        if (match && colOn[i] && s) { hit = true; colHit[i] = colHit[i] || on; }
      });
      on = on && hit;
      tr.hidden = !on;
      if (on) { shown += 1; }
    });
    if (st) { colOn = colOn.map(function (v, i) { return v && colHit[i]; }); }
    var hide = function (el, i) { el.hidden = !colOn[i]; };
    heads.forEach(hide);
    rows.forEach(function (tr) { tr.querySelectorAll('td.c').forEach(function (td) {
      td.hidden = !colOn[colOf(td)]; }); });
    groupHeads.forEach(function (g) {
      var n = 0;
      heads.forEach(function (h, i) { if (colOn[i] && h.dataset.group === g.dataset.group) { n += 1; } });
      g.hidden = n === 0;
      if (n) { g.colSpan = n; }
    });
    var cols = colOn.filter(Boolean).length;
    document.getElementById('pm-nomatch').hidden = shown > 0 && cols > 0;
    window.peakmapMatrixShown = { rows: shown, columns: cols };
  }
  [search, status, dept, group].forEach(function (el) {
    el.addEventListener('input', apply);
    el.addEventListener('change', apply);
  });
  Array.prototype.forEach.call(document.querySelectorAll('.pm-count'), function (b) {
    b.addEventListener('click', function () {
      status.value = status.value === b.dataset.status ? '' : b.dataset.status;
      apply();
    });
  });
  apply();
})();
