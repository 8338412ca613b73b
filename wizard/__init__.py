from . import collection_case_close
from . import collection_import
