/*
 * The survey's service worker, served as /s/sw.js with scope /s/ so that a field worker (or a
 * resident on a flaky network) can reopen a survey page with no network after the first visit.
 * Survey pages: network first, the cached copy when the network fails or is too slow.
 * Survey assets: cache first, refreshed in the background. Nothing else is touched: POSTs
 * (answers, the API) always go to the network and are never cached.
 */
'use strict';

var CACHE = 'surveyapp-v1';
var ASSETS = ['/static/survey/survey.css', '/static/survey/expr.js', '/static/survey/survey.js'];
var PAGE_TIMEOUT = 8000;

self.addEventListener('install', function (event) {
  event.waitUntil(caches.open(CACHE)
    .then(function (cache) { return cache.addAll(ASSETS); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener('activate', function (event) {
  event.waitUntil(caches.keys()
    .then(function (keys) {
      return Promise.all(keys.filter(function (key) { return key.indexOf('surveyapp-') === 0 && key !== CACHE; })
        .map(function (key) { return caches.delete(key); }));
    })
    .then(function () { return self.clients.claim(); }));
});

// A page opened before this worker controlled it asks for its own URL to be kept.
self.addEventListener('message', function (event) {
  var url = event.data && event.data.cache;
  if (typeof url === 'string' && isPage(new URL(url, self.location.href))) {
    event.waitUntil(caches.open(CACHE).then(function (cache) { return keep(cache, new Request(url)); }).catch(function () {}));
  }
});

self.addEventListener('fetch', function (event) {
  var request = event.request, url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.indexOf('/static/survey/') === 0) event.respondWith(cacheFirst(event, request));
  else if (isPage(url)) event.respondWith(networkFirst(request));
});

function isPage(url) {
  return url.origin === self.location.origin && url.pathname.indexOf('/s/') === 0 && url.pathname !== '/s/sw.js';
}

function keep(cache, request) {
  // Only a page as the server gave it: not an error, not a redirect to the sign-in page.
  return fetch(request).then(function (response) {
    var good = response.ok && response.type === 'basic' && !response.redirected;
    var kept = good ? cache.put(request, response.clone()) : Promise.resolve();
    return kept.then(function () { return response; }, function () { return response; });
  });
}

function networkFirst(request) {
  return caches.open(CACHE).then(function (cache) {
    var network = keep(cache, request);
    network.catch(function () {});
    function cached() {
      return cache.match(request).then(function (hit) { return hit || network; });
    }
    var slow = new Promise(function (resolve) { setTimeout(resolve, PAGE_TIMEOUT); });
    return Promise.race([network, slow]).then(function (response) { return response || cached(); }, cached);
  });
}

function cacheFirst(event, request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request).then(function (hit) {
      var network = fetch(request).then(function (response) {
        if (response.ok) cache.put(request, response.clone());
        return response;
      });
      if (!hit) return network;
      event.waitUntil(network.catch(function () {}));
      return hit;
    });
  });
}
