from . import collection_case_movement
from . import collection_team_overview
