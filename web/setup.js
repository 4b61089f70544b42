/*
 * setup.js - setup mode's page: lists the servers the operator owns (from
 * the data-servers attribute, JSON written by the server and HTML-escaped
 * by the template) as radio buttons that fill in the server id, and copies
 * values to the clipboard. Text only ever goes in through textContent.
 */
(function () {
  'use strict';

  var root = document.getElementById('setup');
  var list = document.getElementById('servers');
  var input = document.getElementById('server-id');
  var owner = document.getElementById('owner-id');
  if (root && list && input) {
    var servers = [];
    try {
      servers = JSON.parse(root.getAttribute('data-servers') || '[]');
    } catch (e) {
      servers = [];
    }
    if (!servers.length) {
      document.getElementById('no-servers').hidden = false;
    }
    /* The owner's Plex account id goes into the configuration too
     * ([plex] owner_id), so only the real owner's server counts. */
    var pick = function (s) {
      input.value = s.id;
      if (owner && s.owner) {
        owner.value = String(s.owner);
        owner.disabled = false;
      }
    };
    input.addEventListener('input', function () {
      if (owner) owner.disabled = !servers.some(function (s) { return s.id === input.value; });
    });
    servers.forEach(function (s, i) {
      var label = document.createElement('label');
      label.className = 'setup-server';
      var radio = document.createElement('input');
      radio.type = 'radio';
      radio.name = 'pick';
      radio.value = s.id;
      radio.addEventListener('change', function () { pick(s); });
      var name = document.createElement('span');
      name.className = 'setup-server-name';
      name.textContent = s.name;
      var id = document.createElement('code');
      id.className = 'setup-server-id';
      id.textContent = s.id;
      label.appendChild(radio);
      label.appendChild(name);
      label.appendChild(id);
      list.appendChild(label);
      if (i === 0) {
        radio.checked = true;
        pick(s);
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll('[data-copy]'), function (btn) {
    btn.addEventListener('click', function () {
      var el = document.getElementById(btn.getAttribute('data-copy'));
      if (!el || !navigator.clipboard) {
        return;
      }
      navigator.clipboard.writeText(el.textContent).then(function () {
        var old = btn.textContent;
        btn.textContent = 'Copied';
        setTimeout(function () { btn.textContent = old; }, 1500);
      });
    });
  });
})();
