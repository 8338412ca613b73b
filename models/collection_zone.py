from odoo import _
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..tools import geo
from ..tools import zones as zone_tools


class CollectionZone(models.Model):
    """A territory: the debtors whose address meets its criteria, or who
    are located inside its area (a polygon, GeoJSON in longitude, latitude).

    Cases take the most specific zone matching their debtor's address and
    position (see ``tools/zones.py``; an area is more specific than any
    criterion); the zone distribution gives them to the team members
    covering that zone.
    """

    _name = "collection.zone"
    _description = "Collection Zone"
    _order = "sequence, name"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    code = fields.Char()
    sequence = fields.Integer(default=10, help="When two zones are as specific, the first one wins.")
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    team_id = fields.Many2one("collection.team", check_company=True, index=True)
    country_ids = fields.Many2many("res.country", string="Countries")
    state_ids = fields.Many2many("res.country.state", string="States")
    cities = fields.Text(help="City names, one per line or separated by commas; case and accents are ignored.")
    zip_codes = fields.Char(
        "ZIP Codes",
        help="ZIP prefixes or ranges separated by commas, e.g. 1100, 1101*, 110000-110999.",
    )
    area_geojson = fields.Text(
        "Area (GeoJSON)",
        help="A Polygon or MultiPolygon in GeoJSON (longitude, latitude), e.g. drawn on geojson.io: the debtors "
        "located inside it belong to the zone (and meet its other criteria, if any).",
    )
    member_ids = fields.Many2many(
        "collection.team.member",
        "collection_team_member_zone_rel",
        "zone_id",
        "member_id",
        string="Covered by",
    )
    case_count = fields.Integer("Open Cases", compute="_compute_case_count")
    note = fields.Text()

    @api.model
    def area_map_centre(self):
        """Where to open the map to draw an area: the middle of the current
        company's located debtors with open cases, else its own address."""
        self.check_access("write")
        self.env.cr.execute(
            SQL(
                """
                SELECT AVG(p.partner_latitude), AVG(p.partner_longitude)
                  FROM collection_case c JOIN res_partner p ON p.id = c.partner_id
                 WHERE c.company_id = %s AND c.state = 'open'
                   AND COALESCE(p.partner_latitude, 0) != 0 AND COALESCE(p.partner_longitude, 0) != 0
                """,
                self.env.company.id,
            )
        )
        latitude, longitude = self.env.cr.fetchone()
        if latitude is None:
            partner = self.env.company.partner_id
            latitude, longitude = partner.partner_latitude, partner.partner_longitude
        if not geo.has_position(latitude, longitude):
            return False
        return {"latitude": float(latitude), "longitude": float(longitude)}

    @api.constrains("area_geojson")
    def _check_area_geojson(self):
        for zone in self.filtered("area_geojson"):
            try:
                geo.parse_area(zone.area_geojson)
            except geo.AreaError as error:
                raise ValidationError(
                    _("The area of zone %(zone)s is not valid: %(reason)s.", zone=zone.display_name, reason=error)
                ) from error

    def _compute_case_count(self):
        counts = dict(
            self.env["collection.case"]._read_group(
                [("zone_id", "in", self.ids), ("state", "=", "open")], ["zone_id"], ["__count"]
            )
        )
        for zone in self:
            zone.case_count = counts.get(zone, 0)

    @api.model_create_multi
    def create(self, vals_list):
        zones = super().create(vals_list)
        self.env["collection.case"]._assign_zones(zones.company_id)
        return zones

    def write(self, vals):
        res = super().write(vals)
        if {
            "active",
            "sequence",
            "country_ids",
            "state_ids",
            "cities",
            "zip_codes",
            "company_id",
            "area_geojson",
        } & set(vals):
            self.env["collection.case"]._assign_zones(self.company_id)
        return res

    def unlink(self):
        companies = self.company_id
        res = super().unlink()
        self.env["collection.case"]._assign_zones(companies)
        return res

    def action_view_cases(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("debt_collection.collection_case_action_all")
        action["domain"] = [("zone_id", "=", self.id)]
        return action

    @api.model
    def _criteria(self, company_ids):
        """The matching criteria of the active zones of ``company_ids``,
        by company."""
        result = {}
        for zone in self.sudo().search([("company_id", "in", list(company_ids))]):
            result.setdefault(zone.company_id.id, []).append(
                zone_tools.ZoneCriteria(
                    zone.id,
                    zone.sequence,
                    zone.country_ids.ids,
                    zone.state_ids.ids,
                    zone.cities or "",
                    zone.zip_codes or "",
                    has_area=bool(zone.area_geojson),
                )
            )
        return result

    @api.model
    def _areas(self, company_ids):
        """{company id: [(zone id, shapely geometry)]} of the active zones of
        ``company_ids`` that have an area."""
        result = {}
        for zone in self.sudo().search([("company_id", "in", list(company_ids)), ("area_geojson", "!=", False)]):
            result.setdefault(zone.company_id.id, []).append((zone.id, geo.parse_area(zone.area_geojson)))
        return result
