from . import collection_case_close
