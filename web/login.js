/*
 * login.js - the "Sign in with Plex" button and the wait for Plex.
 *
 * Lessons from other Plex sign-in pages (docs/PLEX-API.md, "The sign-in app"):
 *  - The popup is opened synchronously inside the click handler. Opened
 *    after an await or a timer, iOS Safari and Firefox block it.
 *  - If it is blocked anyway, the whole page goes to Plex instead
 *    (mode=redirect) and comes back here with data-state="waiting".
 *  - The page never talks to plex.tv: it polls its own server, which does.
 *  - popup.closed may lie when Plex sends Cross-Origin-Opener-Policy, so a
 *    "closed" popup only offers a Reopen button; polling carries on.
 *
 * Server contract: GET {base}/login/status?l=ID answers
 * {"state": "idle"|"waiting"|"done"|"denied"|"unavailable"|"expired"|"error",
 *  "next": URL}; for every state but idle and waiting the page goes to next.
 */
(function () {
  'use strict';

  var POLL_MS = 1000;        /* the server polls Plex at most once a second */
  var FAILURES_WARN = 5;     /* failed polls in a row before saying so */
  var CLOSED_GRACE_MS = 2000;

  var root = document.getElementById('login');
  var button = document.getElementById('signin');
  if (!root || !button) {
    return;
  }
  var reopen = document.getElementById('reopen');
  var reopenRow = document.getElementById('reopen-row');
  var statusTitle = document.getElementById('status-title');
  var statusHint = document.getElementById('status-hint');

  var base = root.getAttribute('data-base') || '';
  var id = encodeURIComponent(root.getAttribute('data-login-id') || '');
  var clientName = root.getAttribute('data-client-name') || '';
  var startUrl = base + '/login/start?l=' + id;
  var statusUrl = base + '/login/status?l=' + id;

  var popup = null;
  var polling = false;   /* the poll loop is running */
  var inflight = false;  /* a status request is out */
  var timer = 0;
  var failures = 0;
  var closedSince = 0;
  var finished = false;

  function say(title, hint) {
    statusTitle.textContent = title;
    statusHint.textContent = hint;
  }

  function showWaiting() {
    root.classList.add('is-waiting');
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    say('Waiting for Plex…', popup ? 'Finish signing in in the Plex window.'
                                   : 'Checking your Plex sign-in.');
  }

  /* Opens Plex in a popup; if that is blocked, goes there in this page.
   * Must run synchronously in a click handler. Returns false on redirect. */
  function openPlex() {
    var w = null;
    try {
      w = window.open(startUrl, 'plex-auth', 'popup,width=520,height=720');
    } catch (e) {
      w = null;
    }
    if (!w) {
      finished = true;
      say('Opening Plex…', 'Your browser blocked the Plex window, so this page goes to Plex instead.');
      location.assign(startUrl + '&mode=redirect');
      return false;
    }
    popup = w;
    closedSince = 0;
    reopenRow.hidden = true;
    try {
      w.focus();
    } catch (e) { /* not ours to focus */ }
    return true;
  }

  /* Only http(s) URLs may be followed, whatever the response says. */
  function safeUrl(next) {
    var u;
    if (typeof next !== 'string' || next === '') {
      return null;
    }
    try {
      u = new URL(next, location.href);
    } catch (e) {
      return null;
    }
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
  }

  function checkPopup() {
    var closed = false;
    if (!popup) {
      return;
    }
    try {
      closed = popup.closed;
    } catch (e) {
      closed = false;
    }
    if (!closed) {
      closedSince = 0;
      return;
    }
    if (!closedSince) {
      closedSince = Date.now();
    } else if (Date.now() - closedSince > CLOSED_GRACE_MS && reopenRow.hidden) {
      reopenRow.hidden = false;
      say('Waiting for Plex…', 'Closed the Plex window before finishing? Open it again to carry on.');
    }
  }

  function schedule() {
    if (!finished) {
      timer = setTimeout(poll, POLL_MS);
    }
  }

  function failed() {
    inflight = false;
    failures++;
    if (failures === FAILURES_WARN) {
      root.classList.add('is-retrying');
      say('Still trying to reach the server…', 'Check your connection; this page keeps trying.');
    }
    checkPopup();
    schedule();
  }

  function handle(data) {
    var state = data && typeof data.state === 'string' ? data.state : '';
    var pending = state === 'idle' || state === 'waiting';
    var next = pending ? null : safeUrl(data && data.next);

    if (!pending && !next) {
      failed(); /* nonsense from the server counts as a failed poll */
      return;
    }
    inflight = false;
    if (failures >= FAILURES_WARN) {
      root.classList.remove('is-retrying');
      showWaiting();
    }
    failures = 0;
    if (pending) {
      checkPopup();
      schedule();
      return;
    }
    finished = true;
    if (state === 'done') {
      root.classList.add('is-done');
      say('Signed in, returning to ' + (clientName || 'the app') + '…', '');
    }
    try {
      if (popup && !popup.closed) {
        popup.close();
      }
    } catch (e) { /* the popup closes itself */ }
    location.replace(next);
  }

  function poll() {
    timer = 0;
    if (finished || inflight) {
      return;
    }
    inflight = true;
    fetch(statusUrl, {
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { Accept: 'application/json' }
    }).then(function (r) {
      if (!r.ok) {
        throw new Error('HTTP ' + r.status);
      }
      return r.json();
    }).then(handle, failed);
  }

  function startPolling() {
    if (polling) {
      return;
    }
    polling = true;
    poll();
  }

  button.addEventListener('click', function () {
    if (finished || button.disabled) {
      return;
    }
    if (openPlex()) {
      showWaiting();
      startPolling();
    }
  });

  reopen.addEventListener('click', function () {
    if (!finished && openPlex()) {
      showWaiting();
    }
  });

  /* Timers are slowed in background tabs (on phones the popup is a tab):
   * check at once when the user comes back. */
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible' && polling && !finished && timer) {
      clearTimeout(timer);
      poll();
    }
  });

  /* Back from the app via the back/forward cache: start afresh. */
  window.addEventListener('pageshow', function (e) {
    if (e.persisted && finished) {
      location.reload();
    }
  });

  /* Back from a full-page Plex redirect: wait for the outcome at once. */
  if (root.getAttribute('data-state') === 'waiting') {
    showWaiting();
    startPolling();
  }
}());
