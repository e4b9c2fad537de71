"""Fixtures of the internal dialer: a generic center with two agents and
campaigns of targets (see crm_callcenter's tests for the fake center)."""

from odoo.addons.crm_callcenter.tests.common import SECRET, CallcenterCase


class DialerCase(CallcenterCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Target = cls.env["crm.telesales.target"]
        cls.Dialer = cls.env["crm.telesales.dialer"]
        cls.interested = cls.env.ref(
            "crm_callcenter.crm_callcenter_disposition_interested"
        )
        cls.order = cls.env.ref("crm_callcenter.crm_callcenter_disposition_order")
        cls.not_interested = cls.env.ref(
            "crm_callcenter.crm_callcenter_disposition_not_interested"
        )
        cls.order.is_success = True
        cls.campaign = cls.make_campaign("Mùa hè", cls.agent | cls.agent_b)
        cls.agent.sudo()._callcenter_update_presence("available")
        cls.agent_b.sudo()._callcenter_update_presence("available")

    @classmethod
    def make_campaign(cls, name, agents, mode="preview", **vals):
        campaign = cls.env["crm.telesales.campaign"].create(
            {
                "name": name,
                "provider_id": cls.provider.id,
                "mode": mode,
                "user_ids": [(6, 0, agents.ids)],
                "disposition_ids": [
                    (6, 0, (cls.interested | cls.order | cls.not_interested).ids)
                ],
                **vals,
            }
        )
        campaign.action_start()
        return campaign

    @classmethod
    def make_targets(cls, campaign, *numbers, **vals):
        return cls.env["crm.telesales.target"].create(
            [{"campaign_id": campaign.id, "phone": n, **vals} for n in numbers]
        )

    def next_for(self, agent):
        """What the agent's "Next call" gives: the target record or empty."""
        data = self.Target.with_user(agent).telesales_next()
        self.env.invalidate_all()
        return (
            self.Target.browse(data["target"]["id"])
            if data["target"]
            else (self.Target)
        )


__all__ = ["SECRET", "DialerCase"]
