/* The field page's store on the phone (IndexedDB), shared by the page and
 * its service worker: the day as last loaded, the visits waiting to be sent
 * and those the server could not log. Each visit carries the key the phone
 * gave it, so sending it twice stores it once. */
/* global self, indexedDB, fetch */
(function (scope) {
    "use strict";
    const DB_NAME = "debt_collection_field";
    const DB_VERSION = 1;
    const PROBLEMS = ["conflict", "refused", "error"];
    let dbPromise = null;

    function openDb() {
        if (!dbPromise) {
            dbPromise = new Promise((resolve, reject) => {
                const request = indexedDB.open(DB_NAME, DB_VERSION);
                request.onupgradeneeded = () => {
                    const db = request.result;
                    db.createObjectStore("day");
                    db.createObjectStore("queue", {keyPath: "key"});
                    db.createObjectStore("problems", {keyPath: "key"});
                };
                request.onsuccess = () => resolve(request.result);
                request.onerror = () => reject(request.error);
            });
        }
        return dbPromise;
    }

    async function tx(store, mode, work) {
        const db = await openDb();
        return new Promise((resolve, reject) => {
            const transaction = db.transaction(store, mode);
            const request = work(transaction.objectStore(store));
            let result = undefined;
            if (request) {
                request.onsuccess = () => {
                    result = request.result;
                };
            }
            transaction.oncomplete = () => resolve(result);
            transaction.onerror = () => reject(transaction.error);
            transaction.onabort = () => reject(transaction.error);
        });
    }

    class ServerError extends Error {}

    async function rpc(url, params) {
        const response = await fetch(url, {
            method: "POST",
            credentials: "same-origin",
            headers: {"Content-Type": "application/json"},
            body: JSON.stringify({jsonrpc: "2.0", method: "call", id: Date.now(), params: params || {}}),
        });
        if (!response.ok) {
            throw new ServerError(`HTTP ${response.status}`);
        }
        const data = await response.json();
        if (data.error) {
            throw new ServerError((data.error.data && data.error.data.message) || data.error.message);
        }
        return data.result;
    }

    let flushing = null;

    /** Send the visits waiting on the phone, oldest first; stop at the first
     * one that cannot reach the server (it stays queued). A visit the server
     * stored but could not log (conflict, refused) or refused to store
     * (error) moves to the problems, kept on the phone until dismissed. */
    async function flushOnce(onOutcome) {
        const items = ((await tx("queue", "readonly", (store) => store.getAll())) || []).sort((a, b) =>
            a.saved_at === b.saved_at ? (a.key < b.key ? -1 : 1) : a.saved_at < b.saved_at ? -1 : 1
        );
        let sent = 0;
        for (const item of items) {
            const payload = Object.assign({}, item);
            delete payload.label;
            delete payload.saved_at;
            let outcome = null;
            try {
                outcome = await rpc("/collection/field/visit", payload);
            } catch (error) {
                item.last_error = error.message;
                await tx("queue", "readwrite", (store) => store.put(item));
                break;
            }
            await tx("queue", "readwrite", (store) => store.delete(item.key));
            if (PROBLEMS.includes(outcome.status)) {
                item.outcome = outcome;
                await tx("problems", "readwrite", (store) => store.put(item));
            }
            sent += 1;
            if (onOutcome) {
                onOutcome(item, outcome);
            }
        }
        return sent;
    }

    function flush(onOutcome) {
        if (!flushing) {
            flushing = flushOnce(onOutcome).finally(() => {
                flushing = null;
            });
        }
        return flushing;
    }

    scope.DcFieldQueue = {openDb, tx, rpc, flush, ServerError};
})(self);
