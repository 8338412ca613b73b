def migrate(cr, version):
    """18.0.1.2.0 makes the channels of a result code a many2many to the new
    contact channels: the former free-text column gives way to the relation
    table (its values were never used by the code). Installments lose the
    indexes that every portfolio load paid for without queries using them
    (company and state, of low selectivity; the receivable line, already
    indexed by its unique constraint), and index only the references that
    are set; the registry keeps existing indexes, so they are dropped here."""
    if not version:
        return
    cr.execute("ALTER TABLE collection_result DROP COLUMN IF EXISTS channel_ids")
    cr.execute(
        """
        DROP INDEX IF EXISTS collection_installment__company_id_index,
                             collection_installment__state_index,
                             collection_installment__move_line_id_index,
                             collection_installment__external_ref_index
        """
    )
