"""Debtors' positions move to Odoo's own partner fields (partner_latitude,
partner_longitude): the positions entered before are copied there, unless
the partner already had one."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        SELECT 1 FROM information_schema.columns
         WHERE table_name = 'res_partner' AND column_name = 'collection_latitude'
        """
    )
    if not cr.fetchone():
        return
    cr.execute(
        """
        UPDATE res_partner
           SET partner_latitude = collection_latitude, partner_longitude = collection_longitude
         WHERE (COALESCE(collection_latitude, 0) != 0 OR COALESCE(collection_longitude, 0) != 0)
           AND COALESCE(partner_latitude, 0) = 0 AND COALESCE(partner_longitude, 0) = 0
        """
    )
