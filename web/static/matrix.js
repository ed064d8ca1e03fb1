/* peakmap dashboard: filter the compliance matrix by text, status, department and group.
 * The text (?q=) and status (?status=) pick the zones on the server, before paging: a new
 * status, a status count clicked or Enter in the search box submits the form. While typing,
 * and for department and group (columns only), the rows and columns of the page shown are
 * shown and hidden here; no text is put into the page. */
(function () {
  'use strict';
  var form = document.getElementById('pm-filters');
  var status = document.getElementById('pm-status');
  if (!form) { return; }
  // The status picks zones of every page: ask the server (the form's GET, page 0).
  status.addEventListener('change', function () { form.submit(); });
  Array.prototype.forEach.call(document.querySelectorAll('.pm-count'), function (b) {
    b.addEventListener('click', function () {
      status.value = status.value === b.dataset.status ? '' : b.dataset.status;
      form.submit();
    });
  });
  var table = document.getElementById('pm-matrix');
  if (!table) { return; }
  var search = document.getElementById('pm-search');
  var dept = document.getElementById('pm-dept');
  var group = document.getElementById('pm-group');
  var heads = Array.prototype.slice.call(table.querySelectorAll('thead th.ind'));
  var groupHeads = Array.prototype.slice.call(table.querySelectorAll('thead th.grp'));
  var rows = Array.prototype.slice.call(table.querySelectorAll('tbody tr'));
  // A cell's column is its place after the zone header; its status is its st- class.
  function colOf(td) { return td.cellIndex - 1; }
  function statusOf(td) { var m = /(?:^| )st-([a-z-]+)/.exec(td.className); return m ? m[1] : ''; }

  function rowText(tr) {
    return (tr.querySelector('th.zone').textContent + ' ' + tr.dataset.zone).toLowerCase();
  }

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
    // A query in some zone's name or code picks rows (as on the server); else columns.
    var anyRow = q && rows.some(function (tr) { return rowText(tr).indexOf(q) >= 0; });
    var anyTextCol = !anyRow && textCols && textCols.some(function (v, i) { return v && colOn[i]; });
    if (anyTextCol) { colOn = colOn.map(function (v, i) { return v && textCols[i]; }); }
    // Rows: the text query (when it named no column) and the status filter.
    var colHit = colOn.map(function () { return false; });
    var shown = 0;
    rows.forEach(function (tr) {
      var name = rowText(tr);
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
  [search, dept, group].forEach(function (el) {
    el.addEventListener('input', apply);
    el.addEventListener('change', apply);
  });
  apply();
})();
