from . import collection_aging_analysis
from . import collection_case_movement
from . import collection_kpi
from . import collection_report
from . import collection_team_overview
