from . import collection_case_close
from . import collection_case_reassign
from . import collection_case_step_postpone
from . import collection_contact_refusal
from . import collection_distribute
from . import collection_import
from . import collection_interaction_log
from . import collection_letter_batch
