from . import aging
