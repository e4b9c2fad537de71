from odoo import fields, models, tools
from odoo.addons.crm_callcenter.models.crm_callcenter_call import OUTCOME_SELECTION
from odoo.tools import SQL

from ..models.crm_telesales_target import STATES as TARGET_STATES


class CrmTelesalesReport(models.Model):
    """One row per call of a telesales campaign, with its figures as numbers.

    Rates are 0/100 per call averaged by the pivot; the rows that do not
    count for a rate (unanswered calls for the success rate...) hold NULL, so
    that the average is taken over the right calls.
    """

    _name = "crm.telesales.report"
    _description = "Telesales Analysis"
    _auto = False
    _rec_name = "call_id"
    _order = "date desc, id desc"

    call_id = fields.Many2one("crm.callcenter.call", readonly=True)
    campaign_id = fields.Many2one("crm.telesales.campaign", readonly=True)
    target_id = fields.Many2one("crm.telesales.target", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    user_id = fields.Many2one("res.users", "Agent", readonly=True)
    provider_id = fields.Many2one("crm.callcenter.provider", readonly=True)
    date = fields.Datetime("Call Start", readonly=True)
    outcome = fields.Selection(OUTCOME_SELECTION, "Call Outcome", readonly=True)
    target_state = fields.Selection(TARGET_STATES, "Target Status", readonly=True)
    disposition_id = fields.Many2one("crm.callcenter.disposition", readonly=True)
    attempts = fields.Integer(readonly=True)
    answered = fields.Integer(
        readonly=True, help="Calls the customer answered, with or without an agent."
    )
    reached = fields.Integer(readonly=True, help="Calls an agent talked in.")
    success = fields.Integer(
        readonly=True,
        help="Calls logged with a successful disposition, or that closed a "
        "target with the result Success.",
    )
    abandoned = fields.Integer(
        readonly=True, help="Calls the customer answered that no agent took."
    )
    reached_rate = fields.Float(
        "Reached (%)", readonly=True, aggregator="avg", help="Share of calls reached."
    )
    success_rate = fields.Float(
        "Success (%)",
        readonly=True,
        aggregator="avg",
        help="Share of the reached calls that succeeded.",
    )
    abandon_rate = fields.Float(
        "Abandonment (%)",
        readonly=True,
        aggregator="avg",
        help="Share of the answered calls that no agent took.",
    )
    talk_seconds = fields.Integer(
        "Talk Time (s)", readonly=True, help="Talk time of the reached calls."
    )
    wait_seconds = fields.Integer(
        "Wait Before Answer (s)",
        readonly=True,
        aggregator="avg",
        help="Ringing time of the answered calls, averaged.",
    )
    cost = fields.Float(readonly=True, digits=(16, 4))
    cost_currency_id = fields.Many2one("res.currency", "Currency", readonly=True)

    def _query(self):
        answered = SQL("c.outcome = 'answered'")
        reached = SQL("(%s AND c.user_id IS NOT NULL)", answered)
        abandoned = SQL("(%s AND c.user_id IS NULL)", answered)
        closed = SQL("COALESCE(t.last_call_id = c.id, FALSE)")
        # The call's own log, or the target's result when this call closed it.
        success = SQL(
            "(COALESCE(cd.is_success, FALSE) OR (%s AND "
            "(t.result = 'success' OR COALESCE(td.is_success, FALSE))))",
            closed,
        )
        return SQL(
            """
            SELECT c.id AS id,
                   c.id AS call_id,
                   c.telesales_campaign_id AS campaign_id,
                   c.telesales_target_id AS target_id,
                   c.company_id AS company_id,
                   c.user_id AS user_id,
                   c.provider_id AS provider_id,
                   COALESCE(c.started_at, c.create_date) AS date,
                   c.outcome AS outcome,
                   t.state AS target_state,
                   CASE WHEN %(closed)s
                        THEN COALESCE(c.disposition_id, t.disposition_id)
                        ELSE c.disposition_id
                   END AS disposition_id,
                   1 AS attempts,
                   (%(answered)s)::int AS answered,
                   %(reached)s::int AS reached,
                   %(success)s::int AS success,
                   %(abandoned)s::int AS abandoned,
                   CASE WHEN %(reached)s THEN 100.0 ELSE 0.0 END AS reached_rate,
                   CASE WHEN %(reached)s
                        THEN CASE WHEN %(success)s THEN 100.0 ELSE 0.0 END
                   END AS success_rate,
                   CASE WHEN %(answered)s
                        THEN CASE WHEN %(abandoned)s THEN 100.0 ELSE 0.0 END
                   END AS abandon_rate,
                   CASE WHEN %(reached)s THEN COALESCE(c.billsec, 0) ELSE 0 END
                       AS talk_seconds,
                   CASE WHEN %(answered)s THEN c.answer_seconds END AS wait_seconds,
                   COALESCE(c.cost, 0) AS cost,
                   c.cost_currency_id AS cost_currency_id
              FROM crm_callcenter_call c
              JOIN crm_telesales_target t ON t.id = c.telesales_target_id
         LEFT JOIN crm_callcenter_disposition cd ON cd.id = c.disposition_id
         LEFT JOIN crm_callcenter_disposition td ON td.id = t.disposition_id
             WHERE c.telesales_campaign_id IS NOT NULL
            """,
            answered=answered,
            reached=reached,
            success=success,
            abandoned=abandoned,
            closed=closed,
        )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (%s)",
                SQL.identifier(self._table),
                self._query(),
            )
        )
