from odoo import api, fields, models, tools


class ResCompany(models.Model):
    _inherit = "res.company"

    callcenter_service_level_seconds = fields.Integer(
        "Service Level Threshold (s)",
        default=20,
        help="An inbound call answered within this many seconds of its first "
        "ring counts towards the service level.",
    )

    callcenter_short_abandon_seconds = fields.Integer(
        "Short Abandon Threshold (s)",
        default=0,
        help="An inbound call the caller hung up on within this many seconds "
        "of its first ring (a wrong number, a caller who changed their "
        "mind) is a short abandon: the answer rate, the abandonment rate "
        "and the service level leave it out. It still counts as missed and "
        "gets its call-back. 0: no short abandons.",
    )

    callcenter_callback_target_minutes = fields.Integer(
        "Call-back Target (min)",
        default=0,
        help="Missed calls should be called back within this many minutes of "
        "their end: the dashboard shows the share called back in time and "
        "the call-backs overdue. 0: no target.",
    )

    callcenter_late_grace_minutes = fields.Integer(
        "Punctuality Grace (min)",
        default=5,
        help="On the dashboard's schedule adherence, an agent first ready more "
        "than this many minutes after the start of their day's shifts started "
        "late, and one last ready more than this many minutes before their "
        "end left early.",
    )

    callcenter_followup_dissatisfied = fields.Boolean(
        "Follow Up Dissatisfied Callers",
        default=True,
        help="When a caller scores a call 1 or 2 in the post-call survey, a "
        "call back due today is scheduled on their lead or contact for the "
        "leader of the call's sales team (else the salesperson, else the "
        "agent).",
    )

    callcenter_vip_tag_ids = fields.Many2many(
        "res.partner.category",
        "res_company_callcenter_vip_tag_rel",
        "company_id",
        "category_id",
        string="VIP Tags",
        help="Callers whose contact, or the contact's company, has one of "
        "these tags are VIPs: the caller lookup tells the PBX (to queue them "
        "first or put them through to a senior team), their call card says "
        "so, and the calls can be filtered.",
    )

    _callcenter_callback_target_minutes_positive = models.Constraint(
        "CHECK(callcenter_callback_target_minutes >= 0)",
        "The call center's call-back target cannot be negative.",
    )
    _callcenter_late_grace_minutes_positive = models.Constraint(
        "CHECK(callcenter_late_grace_minutes >= 0)",
        "The call center's punctuality grace cannot be negative.",
    )
    _callcenter_short_abandon_seconds_positive = models.Constraint(
        "CHECK(callcenter_short_abandon_seconds >= 0)",
        "The call center's short abandon threshold cannot be negative.",
    )
    _callcenter_service_level_seconds_positive = models.Constraint(
        "CHECK(callcenter_service_level_seconds > 0)",
        "The call center's service level threshold must be a positive number "
        "of seconds.",
    )

    def write(self, vals):
        result = super().write(vals)
        if "callcenter_vip_tag_ids" in vals:
            # _callcenter_vip_tags is cached per company in every process.
            self.env.registry.clear_cache()
        return result

    @api.model
    @tools.ormcache("company_id")
    def _callcenter_vip_tags(self, company_id):
        """The ids of the company's VIP tags (a frozenset; empty: no VIPs).
        Cached: the screen pop of every call asks."""
        company = self.sudo().browse(company_id)
        return frozenset(company.callcenter_vip_tag_ids.ids)
