/* The field collector's page: today's route, each debtor's details, and the
 * visit form (result, note, promise, photos, GPS). Visits are saved on the
 * phone first and sent when there is a connection (field_queue.js). */
/* global document, window, navigator, FileReader, crypto, setInterval, DcFieldQueue */
(function () {
    "use strict";
    const root = document.getElementById("dc_field");
    const T = JSON.parse(root.dataset.strings);
    const uid = Number(root.dataset.uid);
    const DAY_KEY = `day-${uid}`;
    const Q = DcFieldQueue;
    const state = {day: null, view: "list", stop: null, queued: [], problems: [], message: "", error: ""};

    function h(tag, attrs, ...children) {
        const el = document.createElement(tag);
        for (const [name, value] of Object.entries(attrs || {})) {
            if (value === false || value === null || value === undefined) {
                continue;
            }
            if (name.startsWith("on")) {
                el.addEventListener(name.slice(2), value);
            } else {
                el.setAttribute(name, value === true ? "" : value);
            }
        }
        for (const child of children.flat()) {
            if (child !== null && child !== undefined && child !== false) {
                el.append(child instanceof window.Node ? child : String(child));
            }
        }
        return el;
    }

    function newKey() {
        if (crypto.randomUUID) {
            return crypto.randomUUID();
        }
        const bytes = crypto.getRandomValues(new Uint8Array(16));
        return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    }

    function utcNow() {
        return new Date().toISOString().replace("T", " ").slice(0, 19);
    }

    function position() {
        return new Promise((resolve) => {
            if (!navigator.geolocation) {
                resolve(null);
                return;
            }
            navigator.geolocation.getCurrentPosition(
                (pos) => resolve(pos.coords),
                () => resolve(null),
                {enableHighAccuracy: true, timeout: 8000, maximumAge: 60000}
            );
        });
    }

    function readPhoto(file) {
        return new Promise((resolve, reject) => {
            const reader = new FileReader();
            reader.onload = () => resolve({name: file.name, mimetype: file.type, data: reader.result});
            reader.onerror = () => reject(reader.error);
            reader.readAsDataURL(file);
        });
    }

    // ------------------------------------------------------------------
    // Loading
    // ------------------------------------------------------------------
    async function refreshQueue() {
        const all = (await Q.tx("queue", "readonly", (store) => store.getAll())) || [];
        state.queued = all.filter((item) => item.uid === uid);
        const problems = (await Q.tx("problems", "readonly", (store) => store.getAll())) || [];
        state.problems = problems.filter((item) => item.uid === uid);
    }

    async function load() {
        state.error = "";
        let day = null;
        if (navigator.onLine) {
            try {
                day = await Q.rpc("/collection/field/day", {});
                await Q.tx("day", "readwrite", (store) => store.put(day, DAY_KEY));
            } catch (error) {
                if (error instanceof Q.ServerError) {
                    state.error = error.message;
                }
            }
        }
        if (!day) {
            day = await Q.tx("day", "readonly", (store) => store.get(DAY_KEY));
        }
        state.day = day || null;
        await refreshQueue();
        render();
    }

    function visitedLocally(stop) {
        return state.queued.some((item) => item.stop_id === stop.id);
    }

    // ------------------------------------------------------------------
    // Sending
    // ------------------------------------------------------------------
    function onOutcome(item, outcome) {
        if (outcome.status === "logged" && state.day) {
            for (const stop of state.day.stops) {
                if (stop.id === item.stop_id || stop.id === outcome.stop_id) {
                    stop.state = "done";
                }
            }
            Q.tx("day", "readwrite", (store) => store.put(state.day, DAY_KEY));
        }
    }

    async function flush() {
        if (!navigator.onLine) {
            return;
        }
        const sent = await Q.flush(onOutcome);
        await refreshQueue();
        if (sent) {
            state.message = T.sent;
        }
        render();
    }

    async function saveVisit(stop, form) {
        const resultId = Number(form.querySelector("[name=result_id]").value);
        const result = state.day.results.find((r) => r.id === resultId);
        if (!result) {
            return showMessage(T.choose_result, true);
        }
        const amount = form.querySelector("[name=promise_amount]").value;
        const date = form.querySelector("[name=promise_date]").value;
        if (result.requires_promise && (!amount || !date)) {
            return showMessage(T.promise_needed, true);
        }
        const files = Array.from(form.querySelector("[name=photos]").files || []);
        if (files.length > state.day.max_photos) {
            return showMessage(T.too_many_photos.replace("%s", state.day.max_photos), true);
        }
        for (const file of files) {
            if (!file.type.startsWith("image/")) {
                return showMessage(T.not_photo.replace("%s", file.name), true);
            }
            if (file.size > state.day.max_photo_bytes) {
                const limit = Math.floor(state.day.max_photo_bytes / (1024 * 1024));
                return showMessage(T.photo_too_big.replace("%(name)s", file.name).replace("%(limit)s", limit), true);
            }
        }
        const button = form.querySelector("button[type=submit]");
        button.disabled = true;
        const photos = await Promise.all(files.map(readPhoto));
        const coords = await position();
        const item = {
            key: newKey(),
            uid,
            label: stop.case.debtor,
            saved_at: utcNow(),
            visited_at: utcNow(),
            case_id: stop.case.id,
            stop_id: stop.id,
            result_id: resultId,
            note: form.querySelector("[name=note]").value,
            promise_amount: result.requires_promise ? amount : 0,
            promise_date: result.requires_promise ? date : false,
            update_position: Boolean(coords) && form.querySelector("[name=update_position]").checked,
            latitude: coords ? coords.latitude : 0,
            longitude: coords ? coords.longitude : 0,
            accuracy: coords ? coords.accuracy : 0,
            photos,
        };
        await Q.tx("queue", "readwrite", (store) => store.put(item));
        await refreshQueue();
        state.view = "list";
        state.stop = null;
        showMessage(navigator.onLine ? T.saved : T.queued + (coords ? "" : ` ${T.no_gps}`));
        if (navigator.serviceWorker && navigator.serviceWorker.ready && !navigator.onLine) {
            navigator.serviceWorker.ready
                .then((registration) => registration.sync && registration.sync.register("debt_collection_field_visits"))
                .catch(() => null);
        }
        await flush();
    }

    async function dismissProblem(key) {
        await Q.tx("problems", "readwrite", (store) => store.delete(key));
        await refreshQueue();
        render();
    }

    function showMessage(message, isError) {
        state.message = isError ? "" : message;
        state.error = isError ? message : "";
        render();
    }

    async function ping() {
        if (!navigator.onLine || document.visibilityState !== "visible" || !state.day) {
            return;
        }
        const coords = await position();
        if (coords) {
            Q.rpc("/collection/field/ping", {
                latitude: coords.latitude,
                longitude: coords.longitude,
                accuracy: coords.accuracy,
            }).catch(() => null);
        }
    }

    // ------------------------------------------------------------------
    // Rendering
    // ------------------------------------------------------------------
    function statusBar() {
        const online = navigator.onLine;
        return h(
            "div",
            {class: `dc_status ${online ? "dc_online" : "dc_offline"}`, id: "dc_status"},
            h("span", {}, online ? T.online : T.offline),
            state.queued.length
                ? h("span", {class: "dc_waiting", id: "dc_waiting"}, T.waiting.replace("%s", state.queued.length))
                : null
        );
    }

    function problemsList() {
        if (!state.problems.length) {
            return null;
        }
        return h(
            "section",
            {class: "dc_problems", id: "dc_problems"},
            h("h2", {}, T.not_logged),
            state.problems.map((item) =>
                h(
                    "div",
                    {class: "dc_problem", "data-key": item.key},
                    h("strong", {}, item.label),
                    h("p", {}, item.outcome ? item.outcome.message : ""),
                    h("button", {type: "button", onclick: () => dismissProblem(item.key)}, T.dismiss)
                )
            )
        );
    }

    function stopCard(stop) {
        const visited = stop.state === "done" || visitedLocally(stop);
        return h(
            "li",
            {
                class: `dc_stop dc_stop_${visited ? "done" : stop.state}`,
                "data-stop": stop.id,
                onclick: () => {
                    state.view = "stop";
                    state.stop = stop;
                    state.message = "";
                    render();
                },
            },
            h("span", {class: "dc_seq"}, stop.sequence),
            h(
                "div",
                {class: "dc_stop_body"},
                h("strong", {}, stop.case.debtor),
                h("div", {class: "dc_small"}, stop.case.address),
                h(
                    "div",
                    {class: "dc_small"},
                    `${T.balance}: ${stop.case.balance}`,
                    stop.arrival ? ` · ${T.arrival} ${stop.arrival}` : "",
                    stop.case.promise ? ` · ${T.promise_due} ${stop.case.promise.date}` : ""
                )
            ),
            h(
                "span",
                {class: "dc_badge"},
                visited ? T.visited : stop.out_of_reach ? T.out_of_reach : T[stop.state] || ""
            )
        );
    }

    function listView() {
        const day = state.day;
        if (!day) {
            return h("p", {class: "dc_empty"}, state.error || T.no_plan);
        }
        return h(
            "div",
            {},
            h("h1", {}, `${day.user} · ${day.date}`),
            day.stops.length
                ? h("ol", {class: "dc_stops", id: "dc_stops"}, day.stops.map(stopCard))
                : h("p", {class: "dc_empty"}, T.no_plan),
            h("button", {type: "button", class: "dc_secondary", onclick: load}, T.refresh)
        );
    }

    function stopView(stop) {
        const c = stop.case;
        const results = state.day.results;
        const form = h(
            "form",
            {
                id: "dc_visit_form",
                onsubmit: (ev) => {
                    ev.preventDefault();
                    saveVisit(stop, form).finally(() => {
                        const button = form.querySelector("button[type=submit]");
                        if (button) {
                            button.disabled = false;
                        }
                    });
                },
            },
            h("h2", {}, T.log_visit),
            h("label", {}, T.result),
            h(
                "select",
                {
                    name: "result_id",
                    required: true,
                    onchange: (ev) => {
                        const result = results.find((r) => r.id === Number(ev.target.value));
                        form.querySelector(".dc_promise").hidden = !(result && result.requires_promise);
                    },
                },
                h("option", {value: ""}, ""),
                results.map((r) => h("option", {value: r.id}, r.name))
            ),
            h(
                "div",
                {class: "dc_promise", hidden: true},
                h("label", {}, T.promise_amount),
                h("input", {name: "promise_amount", type: "number", step: "any", min: "0", value: c.overdue_value}),
                h("label", {}, T.promise_date),
                h("input", {name: "promise_date", type: "date"})
            ),
            h("label", {}, T.note),
            h("textarea", {name: "note", rows: 3}),
            h("label", {}, T.photos),
            h("input", {name: "photos", type: "file", accept: "image/*", capture: "environment", multiple: true}),
            h("label", {class: "dc_check"}, h("input", {name: "update_position", type: "checkbox"}), T.found_here),
            h("button", {type: "submit", class: "dc_primary"}, T.save)
        );
        return h(
            "div",
            {class: "dc_detail"},
            h(
                "button",
                {
                    type: "button",
                    class: "dc_secondary",
                    onclick: () => {
                        state.view = "list";
                        render();
                    },
                },
                T.back
            ),
            h("h1", {}, c.debtor),
            h("div", {class: "dc_small"}, c.name),
            h("p", {}, `${T.balance}: ${c.balance} · ${T.overdue}: ${c.overdue}`),
            c.promise ? h("p", {}, `${T.promise_due}: ${c.promise.date} · ${c.promise.amount}`) : null,
            h("h3", {}, T.address),
            h("p", {}, c.address, c.map_url ? h("a", {href: c.map_url, target: "_blank", rel: "noopener"}, ` ${T.map}`) : ""),
            c.phones.length
                ? h("div", {}, h("h3", {}, T.phones), c.phones.map((p) => h("a", {href: `tel:${p}`, class: "dc_phone"}, p)))
                : null,
            c.email ? h("p", {}, `${T.email}: `, h("a", {href: `mailto:${c.email}`}, c.email)) : null,
            h("h3", {}, T.installments),
            h(
                "table",
                {class: "dc_table"},
                c.installments.map((i) => h("tr", {}, h("td", {}, i.name), h("td", {}, i.date_due), h("td", {}, i.residual)))
            ),
            h("h3", {}, T.history),
            c.history.length ? null : h("p", {class: "dc_small"}, T.no_history),
            h(
                "ul",
                {class: "dc_history"},
                c.history.map((row) => h("li", {}, `${row.date} · ${row.channel} · ${row.result}`, row.note ? ` — ${row.note}` : ""))
            ),
            form
        );
    }

    function render() {
        const children = [statusBar()];
        if (state.error) {
            children.push(h("div", {class: "dc_error", id: "dc_error"}, state.error));
        }
        if (state.message) {
            children.push(h("div", {class: "dc_message", id: "dc_message"}, state.message));
        }
        children.push(problemsList());
        children.push(state.view === "stop" && state.stop ? stopView(state.stop) : listView());
        root.replaceChildren(...children.filter(Boolean));
    }

    // ------------------------------------------------------------------
    // Start
    // ------------------------------------------------------------------
    window.addEventListener("online", () => {
        render();
        flush();
    });
    window.addEventListener("offline", render);
    if (navigator.serviceWorker) {
        navigator.serviceWorker.register("/collection/field-sw.js", {scope: "/collection/field"}).catch(() => null);
    }
    window.dcField = {
        ready: false,
        state,
        flush,
        load,
        queueSize: async () => {
            await refreshQueue();
            return state.queued.length;
        },
    };
    load()
        .then(flush)
        .then(() => {
            window.dcField.ready = true;
            const seconds = (state.day && state.day.ping_seconds) || 120;
            setInterval(flush, 30000);
            setInterval(ping, seconds * 1000);
            ping();
        });
})();
