from . import collection_team_overview
