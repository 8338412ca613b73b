from . import field
from . import portal
