"""Push mode: the contact center's own dialer calls the targets.

Start campaign wakes a cron that sends the due open targets in batches to
the provider's dialer API (tools/dialer.py), records per target what the
center accepted or rejected, and retries failed deliveries with a growing
delay. The center reports each call through its webhook with the task id as
campaign reference; the call is linked to its target and its end counts as
an attempt (``_register_call_outcome``).
"""

import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.addons.crm_callcenter.tools.storable import without_nul
from odoo.exceptions import UserError

from ..tools.dialer import DIALERS, DialerError

_logger = logging.getLogger(__name__)

PUSH_BATCH_SIZE = 100
# Delay before resending after a transient failure: 1, 2, 4... minutes.
PUSH_BACKOFF_MAX_MINUTES = 60
CAMPAIGN_REF_PREFIX = "odoo-telesales-"


class CrmCallcenterProvider(models.Model):
    _inherit = "crm.callcenter.provider"

    generic_dialer_url = fields.Char(
        "Dialer URL",
        help="Telesales push mode: Odoo posts the campaign's targets in "
        "batches to this URL of your contact center's dialer, signed with the "
        "signing secret. Leave empty if the center has no dialer.",
        prefetch="generic",
    )

    def _can_push_tasks(self):
        """Whether push-mode campaigns can send targets to this provider."""
        self.ensure_one()
        if self.code not in DIALERS:
            return False
        return self.code != "generic" or bool(self.sudo().generic_dialer_url)

    def _get_adapter_config(self):
        config = super()._get_adapter_config()
        if self.code == "generic":
            config["dialer_url"] = self.sudo().generic_dialer_url or False
        return config


# The push mode's part of the campaign, kept with the rest of push mode.
class CrmTelesalesCampaign(models.Model):
    _inherit = "crm.telesales.campaign"  # pylint: disable=consider-merging-classes-inherited

    push_error = fields.Char(
        "Dialer Error",
        readonly=True,
        copy=False,
        help="Why the last batch did not reach the contact center's dialer.",
    )
    push_failures = fields.Integer(
        "Failed Deliveries",
        readonly=True,
        copy=False,
        help="Batches in a row the center did not take; resets on success.",
    )
    push_stopped = fields.Boolean(
        "Sending Stopped",
        readonly=True,
        copy=False,
        help="The center refused the targets: nothing is sent until the "
        "campaign is started again.",
    )
    push_retry_at = fields.Datetime(
        "Next Delivery",
        readonly=True,
        copy=False,
        help="Targets are sent again to the center from this time.",
    )

    def _on_started(self):
        res = super()._on_started()
        push = self.filtered(lambda c: c.mode == "push")
        for campaign in push:
            if not campaign.provider_id._can_push_tasks():
                raise UserError(
                    self.env._(
                        "The contact center of campaign %(name)s has no dialer "
                        "Odoo can send targets to: set its Dialer URL, or use "
                        "another mode.",
                        name=campaign.name,
                    )
                )
        if push:
            push.write(
                {
                    "push_error": False,
                    "push_failures": 0,
                    "push_retry_at": False,
                    "push_stopped": False,
                }
            )
            # Never in the button's request: the cron sends the batches.
            self._trigger_push()
        return res

    def _on_targets_added(self):
        """New or changed targets: a running push campaign sends them."""
        if any(c.state == "running" and c.mode == "push" for c in self):
            self._trigger_push()

    @api.model
    def _trigger_push(self, at=None):
        # Waking the cron is no business of the user's rights.
        self.env.ref("crm_telesales.ir_cron_crm_telesales_push").sudo()._trigger(at)

    def _dialer_ref(self):
        self.ensure_one()
        return f"{CAMPAIGN_REF_PREFIX}{self.id}"

    @api.model
    def _get_push_domain(self):
        now = fields.Datetime.now()
        return [
            ("state", "=", "running"),
            ("mode", "=", "push"),
            ("push_stopped", "=", False),
            "|",
            ("push_retry_at", "=", False),
            ("push_retry_at", "<=", now),
        ]

    @api.model
    def _cron_push_targets(self):
        """Send due targets of running push campaigns, one batch at a time."""
        Cron = self.env["ir.cron"]
        campaigns = self.search(self._get_push_domain())
        for campaign in campaigns:
            if not campaign.provider_id._can_push_tasks():
                continue
            while True:
                sent = campaign._push_batch()
                if not sent:
                    break
                if not Cron._commit_progress(sent):
                    # Out of time: the next run goes on where this one stopped.
                    self._trigger_push()
                    return

    def _get_push_targets(self, limit=PUSH_BATCH_SIZE):
        self.ensure_one()
        Target = self.env["crm.telesales.target"]
        return Target.search(
            [
                ("campaign_id", "=", self.id),
                ("state", "in", Target._open_states()),
                "|",
                ("next_attempt_at", "=", False),
                ("next_attempt_at", "<=", fields.Datetime.now()),
            ],
            limit=limit,
        )

    def _push_batch(self):
        """Send one batch of due targets; return how many were answered for
        (0 when none are due or the delivery failed)."""
        self.ensure_one()
        targets = self._get_push_targets()
        if not targets:
            return 0
        provider = self.provider_id
        dialer = DIALERS[provider.code]
        tasks = targets._prepare_dialer_tasks()
        try:
            accepted, rejected = dialer.push(
                provider._get_adapter_config(),
                {"ref": self._dialer_ref(), "name": self.name},
                tasks,
            )
        except DialerError as exc:
            self._push_failed(str(exc), exc.retry)
            return 0
        now = fields.Datetime.now()
        by_ref = dict(zip((task["task_id"] for task in tasks), targets, strict=True))
        accepted_targets = targets.browse([by_ref[ref].id for ref in accepted])
        accepted_targets.write(
            {
                "state": "dialing",
                "push_state": "accepted",
                "push_error": False,
                "pushed_at": now,
            }
        )
        for reason, refs in _group_by_reason(rejected).items():
            targets.browse([by_ref[ref].id for ref in refs]).write(
                {
                    "state": "rejected",
                    "push_state": "rejected",
                    "push_error": reason,
                    "reject_reason": reason,
                    "pushed_at": now,
                }
            )
        answered = len(accepted) + len(rejected)
        if answered < len(tasks):
            # Part of the batch went unanswered: those targets are sent again
            # later, like after a failure, not in a loop right away.
            self._push_failed(
                self.env._(
                    "The center answered for %(answered)s of %(sent)s targets.",
                    answered=answered,
                    sent=len(tasks),
                ),
                retry=True,
            )
            return 0
        if self.push_failures or self.push_error:
            self.write(
                {"push_error": False, "push_failures": 0, "push_retry_at": False}
            )
        return answered

    def _push_failed(self, error, retry):
        """Record a failed delivery; retry later or stop until restarted."""
        self.ensure_one()
        failures = self.push_failures + 1
        vals = {"push_error": without_nul(error), "push_failures": failures}
        if retry:
            minutes = min(2 ** (failures - 1), PUSH_BACKOFF_MAX_MINUTES)
            vals["push_retry_at"] = fields.Datetime.now() + timedelta(minutes=minutes)
            self._trigger_push(vals["push_retry_at"])
        else:
            # A refusal (bad URL, secret or request) repeats on every try:
            # stop until a manager fixes the provider and restarts.
            vals.update(push_stopped=True, push_retry_at=False)
            self.message_post(
                body=self.env._(
                    "The contact center refused the targets: %(error)s. Sending "
                    "stops until the campaign is started again.",
                    error=error,
                )
            )
        _logger.warning(
            "Telesales campaign %s: targets not delivered (%s)", self.id, error
        )
        self.write(vals)


def _group_by_reason(rejected):
    groups = {}
    for ref, reason in rejected.items():
        groups.setdefault(reason, []).append(ref)
    return groups


class CrmCallcenterCall(models.Model):
    _inherit = "crm.callcenter.call"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _prepare_fold_vals(
        self, call, provider, event, from_number, to_number, fallback_time=None
    ):
        vals = super()._prepare_fold_vals(
            call, provider, event, from_number, to_number, fallback_time
        )
        if event.campaign_ref and not call.telesales_target_id:
            target = self.env["crm.telesales.target"]._find_by_task_ref(
                provider, event.campaign_ref
            )
            if target:
                vals["telesales_target_id"] = target.id
                if target.partner_id and not call.partner_id:
                    vals["partner_id"] = target.partner_id.id
                if target.lead_id and not call.lead_id:
                    vals["lead_id"] = target.lead_id.id
        return vals

    def _after_fold(self, provider, before):
        target = self.telesales_target_id.sudo()
        if (
            target.campaign_id.mode == "push"
            and self.state == "answered"
            and before["state"] != "answered"
            and target.state in ("dialing", "pending", "scheduled", "rescheduled")
        ):
            # The customer picked up: the target is in a call until it ends.
            target.write({"state": "in_call", "user_id": self.user_id.id or False})
        return super()._after_fold(provider, before)
