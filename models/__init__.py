from . import (
    account_move,
    collection_assignment,
    collection_case,
    collection_event,
    collection_installment,
    collection_portfolio,
    collection_result,
    collection_stage,
    collection_team,
    res_company,
    res_config_settings,
    res_partner,
)
