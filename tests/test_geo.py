import json
from unittest.mock import patch

from lxml import etree

from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tests import TransactionCase
from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from ..tools import geo
from ..tools import zones as zone_tools
from .common import CollectionCommon

# a square around central Bogotá and one around Chía (longitude, latitude)
CENTRO = {
    "type": "Polygon",
    "coordinates": [[[-74.10, 4.58], [-74.04, 4.58], [-74.04, 4.64], [-74.10, 4.64], [-74.10, 4.58]]],
}
CHIA = {
    "type": "Polygon",
    "coordinates": [[[-74.08, 4.84], [-74.02, 4.84], [-74.02, 4.90], [-74.08, 4.90], [-74.08, 4.84]]],
}
BOWTIE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}


@tagged("post_install", "-at_install")
class TestGeoTools(TransactionCase):
    def test_parse_area_accepts_polygons_and_features(self):
        self.assertEqual(geo.parse_area(json.dumps(CENTRO)).geom_type, "Polygon")
        feature = {"type": "Feature", "properties": {}, "geometry": CHIA}
        self.assertEqual(geo.parse_area(json.dumps({"type": "FeatureCollection", "features": [feature]})).area,
                         geo.parse_area(json.dumps(CHIA)).area)  # fmt: skip

    def test_parse_area_refuses_what_cannot_be_a_zone(self):
        cases = {
            "not json": "not JSON",
            json.dumps({"type": "Point", "coordinates": [-74.0, 4.6]}): "Polygon or a MultiPolygon",
            json.dumps(BOWTIE): "Self-intersection",
            json.dumps({"type": "Polygon", "coordinates": [[[-200, 4], [-74, 4], [-74, 5], [-200, 4]]]}): "longitude",
            json.dumps({"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}): "malformed",
        }
        for text, reason in cases.items():
            with self.subTest(text=text[:30]), self.assertRaises(geo.AreaError) as caught:
                geo.parse_area(text)
            self.assertIn(reason.lower(), str(caught.exception).lower())

    def test_area_hits_vectorised(self):
        areas = [(1, geo.parse_area(json.dumps(CENTRO))), (2, geo.parse_area(json.dumps(CHIA)))]
        hits = geo.area_hits(areas, ["a", "b", "c", "edge"], [-74.07, -74.05, -73.0, -74.04], [4.61, 4.87, 4.61, 4.60])
        self.assertEqual(hits, {"a": frozenset({1}), "b": frozenset({2}), "edge": frozenset({1})})

    def test_an_area_is_more_specific_than_a_zip(self):
        by_zip = zone_tools.ZoneCriteria(10, 1, zips="1101")
        drawn = zone_tools.ZoneCriteria(20, 5, has_area=True)
        self.assertEqual(zone_tools.best_zone([by_zip, drawn], None, None, "Bogotá", "110111", frozenset({20})), 20)
        self.assertEqual(zone_tools.best_zone([by_zip, drawn], None, None, "Bogotá", "110111", frozenset()), 10)

    def test_positions(self):
        self.assertTrue(geo.has_position(4.6, -74.05))
        self.assertFalse(geo.has_position(0.0, 0.0))
        self.assertFalse(geo.valid_coordinates(91.0, 0.0))
        self.assertFalse(geo.valid_coordinates(0.0, -181.0))


@tagged("post_install", "-at_install")
class TestZoneAreas(CollectionCommon):
    """Zones drawn as areas: refused when invalid, and the cases of the
    debtors inside them put in them, set-based, when zones or positions
    change."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.zip_zone = cls.env["collection.zone"].create({"name": "ZIP 1101", "zip_codes": "1101"})
        cls.centro = cls.env["collection.zone"].create({"name": "Centro", "area_geojson": json.dumps(CENTRO)})
        cls.inside = cls._case(cls._debtor("Inside", zip="110111", partner_latitude=4.61, partner_longitude=-74.07))
        cls.outside = cls._case(cls._debtor("Outside", zip="110111", partner_latitude=4.87, partner_longitude=-74.05))
        cls.unknown = cls._case(cls._debtor("Nowhere", zip="110111"))

    def test_cases_take_the_drawn_zone_of_their_position(self):
        self.assertEqual(self.inside.zone_id, self.centro, "the area wins over the ZIP")
        self.assertEqual(self.outside.zone_id, self.zip_zone)
        self.assertEqual(self.unknown.zone_id, self.zip_zone, "no position: criteria only")
        # a new zone drawn around Chía takes the case located there at once
        chia = self.env["collection.zone"].create({"name": "Chía", "area_geojson": json.dumps(CHIA)})
        self.assertEqual(self.outside.zone_id, chia)
        # the area moved: its cases follow
        self.centro.area_geojson = json.dumps(CHIA)
        self.centro.sequence = 1
        self.env.invalidate_all()
        self.assertEqual(self.inside.zone_id, self.zip_zone)
        self.assertEqual(self.outside.zone_id, self.centro, "two areas hold it: the lower sequence wins")

    def test_invalid_areas_are_refused(self):
        for text, reason in ((json.dumps(BOWTIE), "Self-intersection"), ("{", "not JSON")):
            with self.subTest(reason=reason), self.assertRefused(ValidationError, "is not valid"):
                self.centro.area_geojson = text

    def test_out_of_range_positions_are_refused(self):
        with self.assertRefused(ValidationError, "out of range"):
            self.inside.partner_id.partner_latitude = 95.0

    def test_a_visit_places_the_debtor_and_keeps_the_old_position(self):
        debtor = self.unknown.partner_id
        debtor.write({"partner_latitude": 4.2, "partner_longitude": -74.9})
        visit = self.env["collection.interaction"].create(
            {
                "case_id": self.unknown.id,
                "user_id": self.collector_a.id,
                "channel_id": self.env.ref("debt_collection.collection_channel_visit").id,
                "result_id": self.env.ref("debt_collection.collection_result_contacted").id,
                "latitude": 4.62,
                "longitude": -74.06,
            }
        )
        with self.assertRaises(AccessError):
            visit.with_user(self.collector_b).action_update_debtor_position()
        self.unknown.user_id = self.collector_a
        visit.with_user(self.collector_a).action_update_debtor_position()
        self.assertEqual((debtor.partner_latitude, debtor.partner_longitude), (4.62, -74.06))
        self.assertEqual(self.unknown.zone_id, self.centro, "the case follows its debtor into the drawn zone")
        history = debtor.collection_location_ids.sorted("id")
        self.assertEqual(history.mapped("source"), ["manual", "visit"])
        self.assertEqual((history[-1].previous_latitude, history[-1].previous_longitude), (4.2, -74.9))
        self.assertEqual(history[-1].interaction_id, visit)
        self.assertEqual(history.with_user(self.collector_a).mapped("latitude"), [4.2, 4.62])
        with self.assertRaises(AccessError):
            history.with_user(self.collector_a).unlink()

    def test_visit_without_position(self):
        call = self.env["collection.interaction"].create(
            {
                "case_id": self.inside.id,
                "user_id": self.collector_a.id,
                "channel_id": self.env.ref("debt_collection.collection_channel_call").id,
                "result_id": self.env.ref("debt_collection.collection_result_contacted").id,
            }
        )
        with self.assertRefused(UserError, "holds no position"):
            call.action_update_debtor_position()

    def test_debtors_to_locate(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("debt_collection.collection_case_action_not_located")
        self.assertEqual(action["res_model"], "collection.case")
        view = self.env.ref("debt_collection.collection_case_view_search")
        domain = next(
            node.get("domain")
            for node in etree.fromstring(view.arch).iter("filter")
            if node.get("name") == "filter_not_located"
        )
        located = self.env["collection.case"].search(
            safe_eval(domain) + [("id", "in", (self.inside | self.unknown).ids)]
        )
        self.assertEqual(located, self.unknown)

    def test_the_creditors_file_places_debtors(self):
        """Latitude and longitude columns (decimal comma too) place new
        debtors and fill the position an existing debtor lacks; a bad
        position is a row error; the cases land in the drawn zone."""
        known = self.unknown.partner_id
        known.write({"vat": "900123455", "country_id": self.env.ref("base.co").id})
        rows = [
            {
                "partner_name": "Nueva Deudora",
                "partner_ref": "GEO-1",
                "latitude": "4,6100",
                "longitude": "-74,0700",
                "due_date": "2026-05-01",
                "installment_amount": 100.0,
            },
            {
                "partner_name": known.name,
                "partner_ref": "GEO-2",
                "vat": "900123455",
                "country": "CO",
                "latitude": 4.62,
                "longitude": -74.06,
                "due_date": "2026-05-01",
                "installment_amount": 50.0,
            },
            {
                "partner_name": "Lejos",
                "partner_ref": "GEO-3",
                "latitude": "95",
                "longitude": "-74",
                "due_date": "2026-05-01",
                "installment_amount": 10.0,
            },
        ]
        Portfolio = self.env["collection.portfolio"].with_user(self.manager)
        result = Portfolio.import_rows(self.external.id, rows, {"mode": "valid"})
        self.assertEqual([r["status"] for r in result["rows"]][2], "error")
        self.assertIn("is not a position", result["errors"][0]["message"])
        new_case = self.env["collection.case"].browse(result["rows"][0]["case_id"])
        self.assertEqual((new_case.partner_id.partner_latitude, new_case.partner_id.partner_longitude), (4.61, -74.07))
        self.assertEqual(new_case.zone_id, self.centro)
        self.assertEqual((known.partner_latitude, known.partner_longitude), (4.62, -74.06))
        self.assertEqual(known.collection_location_ids.source, "import")
        self.assertEqual(self.unknown.zone_id, self.centro)

    def test_geocoder_places_debtors_without_position(self):
        """The geocoder configured in Odoo's settings is asked for the
        debtors without a position only (the outside service is replaced by
        a stand-in here: the tests reach no network)."""
        asked = []

        def geo_find(geocoder, address, force_country=False):
            asked.append(address)
            return (4.615, -74.075)

        cases = self.inside | self.unknown
        with self.assertRaises(AccessError):
            cases.with_user(self.collector_a).action_geolocate_debtors()
        with patch.object(type(self.env["base.geocoder"]), "geo_find", geo_find):
            cases.with_user(self.supervisor).action_geolocate_debtors()
        self.assertEqual(len(asked), 1, "the located debtor is not sent")
        self.assertEqual(
            (self.unknown.partner_id.partner_latitude, self.unknown.partner_id.partner_longitude), (4.615, -74.075)
        )
        self.assertEqual(self.unknown.partner_id.collection_location_ids.source, "geocoder")
        self.assertEqual(self.unknown.zone_id, self.centro)
        with self.assertRefused(UserError, "already has a position"):
            self.inside.with_user(self.supervisor).action_geolocate_debtors()
