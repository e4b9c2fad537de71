import uuid

from odoo import api, fields, models
from odoo.addons.crm_callcenter.models.crm_callcenter_call import PLACEHOLDER_PREFIX
from odoo.addons.crm_callcenter.tools.providers import OriginateError
from odoo.exceptions import UserError

from .crm_telesales_target import OPEN_STATES

TARGET_MODEL = "crm.telesales.target"


class CrmCallcenterCall(models.Model):
    _inherit = "crm.callcenter.call"

    telesales_target_id = fields.Many2one(
        "crm.telesales.target", index="btree_not_null"
    )
    telesales_campaign_id = fields.Many2one(
        related="telesales_target_id.campaign_id",
        string="Telesales Campaign",
        store=True,
        index="btree_not_null",
    )

    @api.model_create_multi
    def create(self, vals_list):
        calls = super().create(vals_list)
        for call in calls.filtered("telesales_target_id"):
            # The target's call is placed: it is dialing, the handed-out
            # timeout starts again from now.
            target = call.telesales_target_id.sudo()
            vals = {"last_call_id": call.id, "dialing_since": fields.Datetime.now()}
            if target.state in OPEN_STATES:
                vals["state"] = "dialing"
            if call.user_id:
                vals["user_id"] = call.user_id.id
            target.write(vals)
        return calls

    def _after_fold(self, provider, before):
        target = self.telesales_target_id.sudo()
        if (
            target
            and self.state == "answered"
            and (before["state"] != "answered" or self.user_id != before["user"])
        ):
            # Predictive: the answer names the agent the center connected.
            vals = {"user_id": self.user_id.id} if self.user_id else {}
            if target.state == "dialing":
                vals["state"] = "in_call"
            if vals:
                target.write(vals)
                target._notify_workspace()
        res = super()._after_fold(provider, before)
        if (
            self.telesales_target_id
            and self.state == "ended"
            and before["state"] != "ended"
        ):
            # The target's lock and retry rules live on the target.
            self.telesales_target_id.sudo()._register_call_outcome(self)
        return res

    @api.model
    def _click_to_call_record_vals(self, number, provider, res_model, res_id):
        if res_model != TARGET_MODEL or not isinstance(res_id, int):
            return super()._click_to_call_record_vals(
                number, provider, res_model, res_id
            )
        target = self.env[TARGET_MODEL].browse(res_id).exists()
        if not target:
            raise UserError(self.env._("This telesales target no longer exists."))
        target.check_access("write")
        held = target.state in ("dialing", "in_call")
        if (held and target.user_id != self.env.user) or (
            not held and target.state not in OPEN_STATES
        ):
            raise UserError(
                self.env._(
                    "%(name)s cannot be called now: it is %(state)s.",
                    name=target.name,
                    state=target._fields["state"].convert_to_export(
                        target.state, target
                    ),
                )
            )
        if target.partner_id or target.lead_id:
            vals = {
                "lead_id": target.lead_id.id,
                "partner_id": (target.partner_id or target.lead_id.partner_id).id,
            }
        else:
            vals = self._prepare_match_vals(number, provider.company_id)
        vals["telesales_target_id"] = target.id
        return vals

    @api.model
    def _telesales_originate_queue(self, campaign, target_id, number):
        """Predictive: ring the customer for the campaign's queue, from the
        server; the center connects whoever answers to a free agent and its
        answered event names the agent.

        Raises OriginateError when the center refused (no call is left)."""
        provider = campaign.provider_id.sudo()
        if not provider._can_originate():
            raise OriginateError("the provider cannot place calls")
        target = self.env[TARGET_MODEL].sudo().browse(target_id)
        extension = campaign.queue_extension
        vals = {
            "provider_id": provider.id,
            "company_id": provider.company_id.id,
            "direction": "outbound",
            "state": "ringing",
            "from_number": extension,
            "to_number": number,
            "customer_number": number,
            "extension": extension,
            "queue": extension,
            "started_at": fields.Datetime.now(),
            "telesales_target_id": target_id,
            "partner_id": (target.partner_id or target.lead_id.partner_id).id,
            "lead_id": target.lead_id.id,
        }
        correlation_id = str(uuid.uuid4())
        vals["correlation_id"] = correlation_id
        vals["external_call_id"] = PLACEHOLDER_PREFIX + correlation_id
        config = provider._get_adapter_config()
        adapter = provider._get_adapter()

        def create(env):
            call = env["crm.callcenter.call"].sudo().create(vals)
            call.write(call._prepare_line_vals(call.provider_id))
            return call.id

        call_id = self._in_new_transaction(create)
        try:
            result = adapter.originate(config, extension, number, correlation_id)
        except Exception:
            self._originate_discard(call_id, vals["external_call_id"])
            raise
        return self._originate_store_result(call_id, vals["external_call_id"], result)
