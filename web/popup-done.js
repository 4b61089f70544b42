/*
 * popup-done.js - closes the Plex popup once Plex has approved the sign-in.
 *
 * The sign-in page learns the outcome by polling the server, so this page
 * only has to get out of the way. window.close() works for windows a script
 * opened; if the browser refuses, the page itself tells the user they may
 * close it.
 */
(function () {
  'use strict';
  try {
    window.close();
  } catch (e) {
    /* Refused: the text on the page covers it. */
  }
}());
