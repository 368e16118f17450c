// The console's live part: when the server's update stream says something changed, the
// page's live region is fetched again and swapped in. A new order (or, on the pickup
// board, a newly ready number) rings a short chime. Forms work without this script.
(function () {
  'use strict';
  var source = document.body.getAttribute('data-live');
  if (!source || !window.EventSource) { return; }
  var live = document.getElementById('live');
  var audio = null;

  function chime() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      [880, 1320].forEach(function (freq, i) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(0.2, audio.currentTime + i * 0.18);
        gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + i * 0.18 + 0.16);
        osc.connect(gain); gain.connect(audio.destination);
        osc.start(audio.currentTime + i * 0.18); osc.stop(audio.currentTime + i * 0.18 + 0.17);
      });
    } catch (e) { /* no audio device: the highlight is enough */ }
    document.body.setAttribute('data-chimed', String(Date.now()));
  }

  function marks() {
    var seen = {};
    live.querySelectorAll('[data-new]').forEach(function (e) { seen['o' + e.getAttribute('data-order')] = 1; });
    var ready = live.querySelector('[data-ready]');
    if (ready && ready.getAttribute('data-ready')) {
      ready.getAttribute('data-ready').split(',').forEach(function (n) { seen['r' + n] = 1; });
    }
    return seen;
  }

  var known = marks();
  var busy = false, again = false;
  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.href, { headers: { 'X-Fragment': '1' }, credentials: 'same-origin' })
      .then(function (r) { if (r.status === 401) { location.reload(); } return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        // Keep what staff are typing: skip a refresh while a field in the live part has focus.
        var active = document.activeElement;
        if (active && live.contains(active) && /INPUT|SELECT|TEXTAREA/.test(active.tagName)) { again = true; return; }
        // What staff opened stays open.
        var open = [];
        live.querySelectorAll('details[open][id]').forEach(function (d) { open.push(d.id); });
        live.innerHTML = html;
        open.forEach(function (id) { var d = document.getElementById(id); if (d) { d.open = true; } });
        var now = marks(), fresh = false;
        Object.keys(now).forEach(function (k) { if (!known[k]) { fresh = true; } });
        known = now;
        if (fresh) { chime(); }
      })
      .catch(function () { again = true; })
      .then(function () {
        busy = false;
        document.body.setAttribute('data-refreshed', String(Date.now()));
        if (again) { again = false; setTimeout(refresh, 300); }
      });
  }

  var es = new EventSource(source);
  es.addEventListener('changed', refresh);
  es.addEventListener('open', function () { document.body.setAttribute('data-connected', '1'); });
})();
