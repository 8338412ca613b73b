from . import debtor_portal
from . import field
from . import portal
