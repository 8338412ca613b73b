def migrate(cr, version):
    """18.0.1.1.0 indexes only the set values of sparse case columns and no
    longer indexes the low-cardinality aging bucket, state and stage nor the
    reference by trigrams (every reassignment paid for them): drop the former
    indexes, which the registry keeps as they are, so that it creates the
    partial ones."""
    if not version:
        return
    cr.execute(
        """
        DROP INDEX IF EXISTS collection_case__name_index,
                             collection_case__aging_bucket_index,
                             collection_case__state_index,
                             collection_case__stage_id_index,
                             collection_case__next_action_date_index,
                             collection_case__next_promise_date_index,
                             collection_case__external_ref_index
        """
    )
