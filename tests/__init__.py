from . import test_aging_tools
from . import test_case
from . import test_import
from . import test_invoice_sync
from . import test_security
from . import test_work_list
