from odoo import api, fields, models
from odoo.exceptions import UserError

MODES = [
    ("push", "Push to the Center's Dialer"),
    ("preview", "Preview"),
    ("progressive", "Progressive"),
    ("predictive", "Predictive"),
]
STATES = [
    ("draft", "Draft"),
    ("running", "Running"),
    ("paused", "Paused"),
    ("done", "Done"),
]


class CrmTelesalesCampaign(models.Model):
    _name = "crm.telesales.campaign"
    _description = "Telesales Campaign"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "state_sequence, sequence, id desc"

    name = fields.Char(required=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    utm_campaign_id = fields.Many2one(
        "utm.campaign",
        string="UTM Campaign",
        required=True,
        ondelete="restrict",
        help="Leads and messages of this campaign are tagged with it. "
        "Created with the campaign's name when left empty.",
    )
    provider_id = fields.Many2one(
        "crm.callcenter.provider",
        required=True,
        check_company=True,
        tracking=True,
        help="The contact center that places this campaign's calls.",
    )
    mode = fields.Selection(
        MODES,
        required=True,
        default="preview",
        tracking=True,
        help="Push: the center's own dialer calls the targets. Preview: the "
        "agent reads the target first, then calls. Progressive: the next "
        "target is called as soon as an agent is free. Predictive: several "
        "lines per free agent, paced by the answer rate.",
    )
    state = fields.Selection(
        STATES, required=True, default="draft", tracking=True, copy=False
    )
    state_sequence = fields.Integer(
        compute="_compute_state_sequence", store=True, export_string_translation=False
    )
    user_ids = fields.Many2many(
        "res.users",
        "crm_telesales_campaign_res_users_rel",
        "campaign_id",
        "user_id",
        string="Agents",
        domain=lambda self: [
            (
                "all_group_ids",
                "in",
                self.env.ref("crm_callcenter.crm_callcenter_group_agent").id,
            )
        ],
    )
    team_id = fields.Many2one(
        "crm.team",
        string="Sales Team",
        check_company=True,
        help="Its members work in the campaign, as well as the agents listed.",
    )
    window_ids = fields.One2many(
        "crm.telesales.window", "campaign_id", string="Calling Windows", copy=True
    )
    max_attempts = fields.Integer(default=3, required=True)
    retry_busy_minutes = fields.Integer("Retry After Busy (min)", default=15)
    retry_no_answer_minutes = fields.Integer("Retry After No Answer (min)", default=60)
    retry_failed_minutes = fields.Integer("Retry After Failure (min)", default=120)
    retry_callback_minutes = fields.Integer(
        "Call Back After (min)",
        default=1440,
        help="When the customer asks to be called back and the agent gives no time.",
    )
    max_lines = fields.Integer(
        "Max Concurrent Lines",
        default=1,
        help="The dialer never has more of this campaign's calls ringing or "
        "in progress at once.",
    )
    pacing_ratio = fields.Float(
        "Initial Lines per Agent",
        default=1.5,
        help="Predictive: lines dialed per free agent until enough calls "
        "were made to measure the answer rate.",
    )
    abandon_rate_cap = fields.Float(
        "Abandonment Cap (%)",
        default=3.0,
        help="Predictive: when more answered calls than this wait for no agent "
        "(over the last calls below), the dialer falls back to one line per "
        "free agent.",
    )
    abandon_window = fields.Integer("Abandonment Measured Over (calls)", default=100)
    queue_extension = fields.Char(
        help="Predictive: the center's queue or extension answered calls are "
        "connected to (its agents are the campaign's agents)."
    )
    disposition_ids = fields.Many2many(
        "crm.callcenter.disposition",
        string="Allowed Dispositions",
        help="Empty: every disposition.",
    )
    dial_timeout_minutes = fields.Integer(
        "Release Targets After (min)",
        default=15,
        help="A target handed to an agent or dialed whose call never reports "
        "back goes back to the queue after this time.",
    )
    answer_rate = fields.Float(
        "Answer Rate (%)",
        compute="_compute_call_rates",
        help="Answered calls among the last calls measured for abandonment.",
    )
    abandon_rate = fields.Float(
        "Abandonment Rate (%)",
        compute="_compute_call_rates",
        help="Answered calls no agent took, among the last answered calls.",
    )
    target_ids = fields.One2many("crm.telesales.target", "campaign_id")
    target_count = fields.Integer(compute="_compute_target_stats")
    pending_count = fields.Integer(compute="_compute_target_stats")
    done_count = fields.Integer(compute="_compute_target_stats")

    _name_company_uniq = models.Constraint(
        "UNIQUE(company_id, name)",
        "A campaign with this name already exists in this company.",
    )

    @api.depends("state")
    def _compute_state_sequence(self):
        order = {"running": 0, "paused": 1, "draft": 2, "done": 3}
        for campaign in self:
            campaign.state_sequence = order.get(campaign.state, 9)

    def _compute_call_rates(self):
        stats = self.env["crm.telesales.dialer"]._campaign_call_stats(
            self.filtered("id")
        )
        for campaign in self:
            calls, answered, abandoned = stats.get(campaign.id, (0, 0, 0))
            campaign.answer_rate = answered * 100.0 / calls if calls else 0.0
            campaign.abandon_rate = abandoned * 100.0 / answered if answered else 0.0

    def _compute_target_stats(self):
        counts = {
            (campaign.id, state): count
            for campaign, state, count in self.env["crm.telesales.target"]._read_group(
                [("campaign_id", "in", self.ids)], ["campaign_id", "state"], ["__count"]
            )
        }
        open_states = self.env["crm.telesales.target"]._open_states()
        for campaign in self:
            mine = {s: c for (cid, s), c in counts.items() if cid == campaign.id}
            campaign.target_count = sum(mine.values())
            campaign.pending_count = sum(c for s, c in mine.items() if s in open_states)
            campaign.done_count = mine.get("done", 0)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("utm_campaign_id") and vals.get("name"):
                vals["utm_campaign_id"] = (
                    self.env["utm.campaign"].create({"name": vals["name"]}).id
                )
        return super().create(vals_list)

    # ------------------------------------------------------------------
    # State
    # ------------------------------------------------------------------

    def action_start(self):
        for campaign in self:
            if campaign.state not in ("draft", "paused"):
                raise UserError(
                    self.env._("Only draft or paused campaigns can be started.")
                )
            if not campaign._get_agents() and campaign.mode != "push":
                raise UserError(
                    self.env._(
                        "Campaign %(name)s has no agents: add agents or a sales "
                        "team first.",
                        name=campaign.name,
                    )
                )
        self.write({"state": "running"})
        self._on_started()

    def action_pause(self):
        if self.filtered(lambda c: c.state != "running"):
            raise UserError(self.env._("Only running campaigns can be paused."))
        self.write({"state": "paused"})

    def action_done(self):
        self.write({"state": "done"})

    def action_reset_draft(self):
        if self.filtered(lambda c: c.state != "done"):
            raise UserError(self.env._("Only finished campaigns go back to draft."))
        self.write({"state": "draft"})

    def _on_started(self):
        """Extension point: push mode sends targets, internal modes wake the dialer."""
        if self.filtered(lambda c: c.mode in ("progressive", "predictive")):
            self.env["crm.telesales.dialer"]._trigger()

    # ------------------------------------------------------------------
    # Business
    # ------------------------------------------------------------------

    def _get_agents(self):
        """Users who work in the campaign: its agents and its team's members."""
        self.ensure_one()
        return self.user_ids | self.team_id.member_ids

    def _retry_minutes(self, result):
        self.ensure_one()
        return {
            "busy": self.retry_busy_minutes,
            "no_answer": self.retry_no_answer_minutes,
            "failed": self.retry_failed_minutes,
            "callback": self.retry_callback_minutes,
        }.get(result, self.retry_no_answer_minutes)

    def action_view_targets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_telesales.crm_telesales_target_action"
        )
        action["domain"] = [("campaign_id", "=", self.id)]
        action["context"] = {"default_campaign_id": self.id}
        return action
