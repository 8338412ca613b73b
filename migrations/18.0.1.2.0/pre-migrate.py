def migrate(cr, version):
    """18.0.1.2.0 makes the channels of a result code a many2many to the new
    contact channels: the former free-text column gives way to the relation
    table (its values were never used by the code)."""
    if not version:
        return
    cr.execute("ALTER TABLE collection_result DROP COLUMN IF EXISTS channel_ids")
