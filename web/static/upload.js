/* peakmap upload page: check a file (dry run, every problem listed), then store it.
 * Every message is put into the page with textContent, never as HTML. POSTs: post.js. */
(function () {
  'use strict';
  var T = JSON.parse(document.getElementById('pm-upload-text').textContent);
  var form = document.getElementById('pm-upload');
  var drop = document.getElementById('pm-drop');
  var input = document.getElementById('pm-file');
  var layer = document.getElementById('pm-layer');
  var checkBtn = document.getElementById('pm-check');
  var confirmBtn = document.getElementById('pm-confirm');
  var result = document.getElementById('pm-result');
  var file = null;
  var checked = null;  // the layer and file a passed check was for

  function formData() {
    var fd = new FormData();
    fd.append('file', file, file.name);
    ['crs', 'encoding', 'layer', 'x', 'y'].forEach(function (k) {
      var v = form.elements[k].value.trim();
      if (v) { fd.append(k, v); }
    });
    return fd;
  }

  function show(kind, title, lines, originals) {
    // lines in the page's language; originals (the build's English), shown under a line
    // that differs from it
    result.textContent = '';
    result.className = 'pm-result ' + kind;
    var h = document.createElement('b');
    h.textContent = title;
    result.appendChild(h);
    var ul = document.createElement('ul');
    lines.forEach(function (line, i) {
      var li = document.createElement('li');
      li.textContent = line;
      var en = originals && originals[i];
      if (en && en !== line) {
        var small = document.createElement('div');
        small.className = 'pm-def pm-original';
        small.textContent = T.original + ': ' + en;
        li.appendChild(small);
      }
      ul.appendChild(li);
    });
    result.appendChild(ul);
  }

  function detailLines(body, status) {
    // an error answer: {detail, detail_zh} — Chinese first on a Chinese page
    var en = String(body.detail || status);
    return T.lang === 'zh' && body.detail_zh ? [[body.detail_zh], [en]] : [[en], [en]];
  }

  function reportLines(r) {
    var lines = [T.read + ': ' + r.features_read, T.stored + ': ' + r.features_stored,
                 T.crs + ': ' + r.crs_in + ' → ' + r.crs_out];
    if (r.repaired) { lines.push(T.repaired + ': ' + r.repaired); }
    if (r.dropped) { lines.push(T.dropped + ': ' + r.dropped); }
    return lines.concat(r.notes || []);
  }

  function setFile(f) {
    file = f;
    checked = null;
    confirmBtn.disabled = true;
    document.getElementById('pm-file-name').textContent = f ? f.name + ' (' +
      Math.ceil(f.size / 1024) + ' KiB)' : '';
    checkBtn.disabled = !f;
    result.textContent = '';
    result.className = 'pm-result';
  }

  input.addEventListener('change', function () { setFile(input.files[0] || null); });
  ['dragenter', 'dragover'].forEach(function (ev) {
    drop.addEventListener(ev, function (e) { e.preventDefault(); drop.classList.add('over'); });
  });
  ['dragleave', 'drop'].forEach(function (ev) {
    drop.addEventListener(ev, function (e) { e.preventDefault(); drop.classList.remove('over'); });
  });
  drop.addEventListener('drop', function (e) {
    if (e.dataTransfer && e.dataTransfer.files.length) {
      input.value = '';  // the chooser no longer names an earlier file
      setFile(e.dataTransfer.files[0]);
    }
  });
  layer.addEventListener('change', function () { checked = null; confirmBtn.disabled = true; });

  checkBtn.addEventListener('click', function () {
    if (!file) { return; }
    var name = layer.value;
    checkBtn.disabled = true;
    show('busy', T.checking, []);
    window.peakmapPost('/api/layers/' + encodeURIComponent(name) + '/check?lang=' + T.lang,
                       formData()).then(function (a) {
        checkBtn.disabled = false;
        if (a.status !== 200) {
          var d = detailLines(a.body, a.status);
          show('bad', T.rejected, d[0], d[1]);
          return;
        }
        if (a.body.ok) {
          checked = name + '\u0000' + file.name;
          confirmBtn.disabled = false;
          show('good', T.passed, reportLines(a.body.report));
        } else {
          show('bad', T.rejected + ' (' + a.body.errors.length + ')',
               a.body.errors_label || a.body.errors, a.body.errors);
        }
        window.peakmapUploadChecked = a.body;
      }).catch(function (e) { checkBtn.disabled = false; show('bad', T.failed, [String(e)]); });
  });

  confirmBtn.addEventListener('click', function () {
    if (!file || checked !== layer.value + '\u0000' + file.name) { return; }
    confirmBtn.disabled = true;
    show('busy', T.storing, []);
    window.peakmapPost('/api/layers/' + encodeURIComponent(layer.value), formData())
      .then(function (a) {
        if (a.status === 201) {
          show('good', T.stored_ok, reportLines(a.body));
        } else {
          var d = detailLines(a.body, a.status);
          show('bad', T.rejected, d[0], d[1]);
        }
        window.peakmapUploadStored = a;
      }).catch(function (e) { show('bad', T.failed, [String(e)]); });
  });
})();
