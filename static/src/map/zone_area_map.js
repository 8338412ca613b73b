/** A zone's area drawn on a map: click the corners of the territory, then
 * Finish; the polygon is written to the zone's GeoJSON area (which stays
 * editable as text below, and is checked by the server). */
/* global L, ResizeObserver */
import {Component, onMounted, onWillUnmount, useEffect, useRef, useState} from "@odoo/owl";
import {registry} from "@web/core/registry";
import {useService} from "@web/core/utils/hooks";
import {session} from "@web/session";
import {standardWidgetProps} from "@web/views/widgets/standard_widget_props";

const DIGITS = 1e6;

export class ZoneAreaMap extends Component {
    static template = "debt_collection.ZoneAreaMap";
    static props = {...standardWidgetProps};

    setup() {
        this.orm = useService("orm");
        this.mapRef = useRef("map");
        this.state = useState({drawing: false, corners: 0});
        this.corners = [];
        onMounted(() => this.initMap());
        useEffect(
            () => this.showArea(),
            () => [this.value]
        );
        onWillUnmount(() => {
            if (this.resizeObserver) {
                this.resizeObserver.disconnect();
            }
            if (this.map) {
                this.map.remove();
                this.map = null;
            }
        });
    }

    get value() {
        return this.props.record.data.area_geojson || "";
    }

    get editable() {
        return !this.props.readonly;
    }

    initMap() {
        this.map = L.map(this.mapRef.el, {doubleClickZoom: false});
        const tileUrl = session["leaflet.tile_url"];
        if (tileUrl && tileUrl !== "False") {
            L.tileLayer(tileUrl, {maxZoom: 19, attribution: session["leaflet.copyright"] || ""}).addTo(this.map);
        }
        this.map.setView([0, 0], 2);
        this.areaLayer = L.geoJSON(null, {style: {color: "#2b6cb0", weight: 2, fillOpacity: 0.15}}).addTo(this.map);
        this.draft = L.polygon([], {color: "#c05621", weight: 2, dashArray: "4 4", fillOpacity: 0.1}).addTo(this.map);
        this.map.on("click", (ev) => this.addCorner(ev.latlng));
        this.resizeObserver = new ResizeObserver(() => this.map && this.map.invalidateSize());
        this.resizeObserver.observe(this.mapRef.el);
        this.showArea();
        if (!this.areaLayer.getLayers().length) {
            this.centre();
        }
    }

    showArea() {
        if (!this.map) {
            return;
        }
        this.areaLayer.clearLayers();
        if (!this.value) {
            return;
        }
        try {
            this.areaLayer.addData(JSON.parse(this.value));
        } catch {
            return; // the text below shows what is wrong; the server refuses it on save
        }
        const bounds = this.areaLayer.getBounds();
        if (bounds.isValid()) {
            this.map.fitBounds(bounds, {padding: [20, 20]});
        }
    }

    async centre() {
        const centre = await this.orm.call("collection.zone", "area_map_centre", []);
        if (centre && this.map) {
            this.map.setView([centre.latitude, centre.longitude], 12);
        }
    }

    startDrawing() {
        this.corners = [];
        this.draft.setLatLngs([]);
        this.state.corners = 0;
        this.state.drawing = true;
    }

    addCorner(latlng) {
        if (!this.state.drawing) {
            return;
        }
        this.corners.push([latlng.lat, latlng.lng]);
        this.draft.setLatLngs(this.corners);
        this.state.corners = this.corners.length;
    }

    undo() {
        this.corners.pop();
        this.draft.setLatLngs(this.corners);
        this.state.corners = this.corners.length;
    }

    cancel() {
        this.corners = [];
        this.draft.setLatLngs([]);
        this.state.drawing = false;
    }

    async finish() {
        if (this.corners.length < 3) {
            return;
        }
        const ring = this.corners.map(([lat, lng]) => [Math.round(lng * DIGITS) / DIGITS, Math.round(lat * DIGITS) / DIGITS]);
        ring.push(ring[0]);
        this.cancel();
        await this.props.record.update({area_geojson: JSON.stringify({type: "Polygon", coordinates: [ring]})});
    }

    async clear() {
        await this.props.record.update({area_geojson: false});
    }
}

registry.category("view_widgets").add("dc_zone_area_map", {component: ZoneAreaMap});
