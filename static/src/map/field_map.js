/** The supervisor's map of a field day (Leaflet from OCA's web_leaflet_lib):
 * stops coloured by what came of them, each collector's route followed and
 * last known position, their figures of the day, and a stop moved to
 * another collector from its popup. */
/* global L, ResizeObserver */
import {Component, onMounted, onWillStart, onWillUnmount, useRef, useState} from "@odoo/owl";
import {_t} from "@web/core/l10n/translation";
import {registry} from "@web/core/registry";
import {useService} from "@web/core/utils/hooks";

const REFRESH_MS = 60000;

export class CollectionFieldMap extends Component {
    static template = "debt_collection.FieldMap";
    static props = ["*"];

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.notification = useService("notification");
        this.mapRef = useRef("map");
        this.state = useState({day: "", data: null});
        onWillStart(() => this.load());
        onMounted(() => {
            this.initMap();
            // the container gets its final size once the action is laid out: fit the day then
            this.resizeObserver = new ResizeObserver(() => {
                if (this.map && this.mapRef.el.clientWidth > 0) {
                    this.map.invalidateSize();
                    this.draw(!this.fitted);
                }
            });
            this.resizeObserver.observe(this.mapRef.el);
            this.timer = setInterval(() => this.refresh(), REFRESH_MS);
        });
        onWillUnmount(() => {
            this.resizeObserver.disconnect();
            clearInterval(this.timer);
            if (this.map) {
                this.map.remove();
                this.map = null;
            }
        });
    }

    async load() {
        const data = await this.orm.call("collection.visit.plan", "field_map_data", [this.state.day || false]);
        this.state.data = data;
        this.state.day = data.date;
    }

    async refresh(fit = false) {
        await this.load();
        this.draw(fit);
    }

    async onDayChange(ev) {
        this.state.day = ev.target.value;
        await this.refresh(true);
    }

    initMap() {
        this.map = L.map(this.mapRef.el, {zoomSnap: 0.5});
        const data = this.state.data;
        if (data.tile_url) {
            L.tileLayer(data.tile_url, {maxZoom: 19, attribution: data.attribution}).addTo(this.map);
        }
        this.map.setView([0, 0], 2);
        this.layer = L.layerGroup().addTo(this.map);
    }

    draw(fit) {
        const data = this.state.data;
        if (!this.map) {
            return;
        }
        this.layer.clearLayers();
        const bounds = [];
        const collectors = Object.fromEntries(data.collectors.map((c) => [c.id, c]));
        for (const collector of data.collectors) {
            bounds.push(...collector.track);
            if (collector.track.length > 1) {
                L.polyline(collector.track, {color: collector.colour, weight: 3, opacity: 0.7, dashArray: "6 6"}).addTo(
                    this.layer
                );
            }
            if (collector.last) {
                const point = [collector.last.latitude, collector.last.longitude];
                const initials = collector.name
                    .split(/\s+/)
                    .map((part) => part[0] || "")
                    .join("")
                    .slice(0, 2)
                    .toUpperCase();
                const icon = L.divIcon({
                    className: "dc_map_collector",
                    html: `<span style="background:${collector.colour}">${initials}</span>`,
                    iconSize: [30, 30],
                });
                L.marker(point, {icon, title: `${collector.name} · ${collector.last.at}`}).addTo(this.layer);
                bounds.push(point);
            }
        }
        for (const stop of data.stops) {
            const point = [stop.latitude, stop.longitude];
            const owner = collectors[stop.user_id];
            L.circleMarker(point, {
                radius: 9,
                color: owner ? owner.colour : "#333",
                weight: 3,
                fillColor: stop.colour,
                fillOpacity: 0.9,
                className: `dc_map_stop dc_map_stop_${stop.kind}`,
            })
                .bindPopup(() => this.popup(stop))
                .addTo(this.layer);
            bounds.push(point);
        }
        if (fit && bounds.length && this.map.getSize().x > 0) {
            this.map.fitBounds(bounds, {padding: [30, 30], maxZoom: 16});
            this.fitted = true;
        }
    }

    popup(stop) {
        const data = this.state.data;
        const box = document.createElement("div");
        box.className = "dc_map_popup";
        const title = document.createElement("strong");
        title.textContent = `${stop.sequence}. ${stop.debtor}`;
        const details = document.createElement("div");
        details.textContent = [stop.case, stop.balance, stop.arrival, stop.result].filter(Boolean).join(" · ");
        box.append(title, details);
        const open = document.createElement("a");
        open.href = "#";
        open.textContent = _t("Open the plan");
        open.addEventListener("click", (ev) => {
            ev.preventDefault();
            this.action.doAction({
                type: "ir.actions.act_window",
                res_model: "collection.visit.plan",
                res_id: stop.plan_id,
                views: [[false, "form"]],
            });
        });
        box.append(open);
        if (data.can_reassign && stop.state === "planned") {
            const select = document.createElement("select");
            select.className = "form-select form-select-sm mt-2 dc_map_move_to";
            for (const collector of data.collectors) {
                const option = document.createElement("option");
                option.value = collector.id;
                option.textContent = collector.name;
                option.selected = collector.id === stop.user_id;
                select.append(option);
            }
            const button = document.createElement("button");
            button.className = "btn btn-primary btn-sm mt-1 dc_map_move";
            button.textContent = _t("Move the visit");
            button.addEventListener("click", () => this.move(stop, Number(select.value)));
            box.append(select, button);
        }
        return box;
    }

    async move(stop, userId) {
        if (userId === stop.user_id) {
            return;
        }
        await this.orm.call("collection.visit.stop", "action_move_to", [[stop.id], userId]);
        this.map.closePopup();
        this.notification.add(_t("Visit moved."), {type: "success"});
        await this.refresh();
    }

    focus(collector) {
        const points = [...collector.track];
        for (const stop of this.state.data.stops) {
            if (stop.user_id === collector.id) {
                points.push([stop.latitude, stop.longitude]);
            }
        }
        if (points.length) {
            this.map.fitBounds(points, {padding: [30, 30], maxZoom: 16});
        }
    }
}

registry.category("actions").add("debt_collection.field_map", CollectionFieldMap);
