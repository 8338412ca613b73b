from odoo import api
from odoo import models

# what a change of a user's groups may be written as (the user form sends
# one field per group or per group selection)
GROUP_KEYS = ("groups_id", "in_group_", "sel_groups_")


class ResUsers(models.Model):
    """Where collection users land after login: collectors on their Work
    List, supervisors and managers on their team's board, instead of
    Discuss. A home action chosen by hand (another action) is kept."""

    _inherit = "res.users"

    @api.model_create_multi
    def create(self, vals_list):
        users = super().create(vals_list)
        users._collection_set_home_action()
        return users

    def write(self, vals):
        res = super().write(vals)
        if any(key.startswith(GROUP_KEYS) for key in vals):
            self._collection_set_home_action()
        return res

    def _collection_set_home_action(self):
        work_list = self.env.ref("debt_collection.collection_case_action", raise_if_not_found=False)
        board = self.env.ref("debt_collection.collection_case_action_team_board", raise_if_not_found=False)
        if not work_list or not board:
            return
        ours = {work_list.id, board.id}
        for user in self.sudo():
            if user.share or (user.action_id and user.action_id.id not in ours):
                continue
            if user.has_group("debt_collection.group_collection_supervisor"):
                home = board.id
            elif user.has_group("debt_collection.group_collection_user"):
                home = work_list.id
            else:
                home = False
            if user.action_id.id != home:
                user.action_id = home
