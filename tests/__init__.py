from . import test_aging_tools, test_case, test_invoice_sync, test_security, test_work_list
