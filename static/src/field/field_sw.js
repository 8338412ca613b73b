/* Service worker of the field page (scope /collection/field): keeps the page
 * and its files for when there is no connection, and sends the visits
 * waiting on the phone when the browser signals the connection is back
 * (Background Sync), even with the page closed. */
/* global self, caches, fetch, importScripts, DcFieldQueue */
"use strict";
importScripts("/debt_collection/static/src/field/field_queue.js");

const CACHE = "debt_collection_field_v1";
const SHELL = [
    "/collection/field",
    "/debt_collection/static/src/field/field_queue.js",
    "/debt_collection/static/src/field/field_app.js",
    "/debt_collection/static/src/field/field_app.css",
];

self.addEventListener("install", (event) => {
    event.waitUntil(
        caches
            .open(CACHE)
            .then((cache) => cache.addAll(SHELL))
            .then(() => self.skipWaiting())
    );
});

self.addEventListener("activate", (event) => {
    event.waitUntil(
        caches
            .keys()
            .then((keys) => Promise.all(keys.filter((key) => key !== CACHE).map((key) => caches.delete(key))))
            .then(() => self.clients.claim())
    );
});

// the network first (a fresh page and fresh files when online), the kept copy when it fails
self.addEventListener("fetch", (event) => {
    const request = event.request;
    const url = new URL(request.url);
    if (request.method !== "GET" || url.origin !== self.location.origin || !SHELL.includes(url.pathname)) {
        return;
    }
    event.respondWith(
        fetch(request)
            .then((response) => {
                if (response.ok && !response.redirected) {
                    const copy = response.clone();
                    caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
                }
                return response;
            })
            .catch(() => caches.match(url.pathname).then((kept) => kept || Response.error()))
    );
});

self.addEventListener("sync", (event) => {
    if (event.tag === "debt_collection_field_visits") {
        event.waitUntil(DcFieldQueue.flush());
    }
});
