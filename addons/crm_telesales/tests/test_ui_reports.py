from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged

from .test_reports import TelesalesReportCase


@tagged("post_install", "-at_install")
class TestCampaignDashboardUi(HttpCase, TelesalesReportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The browser's days are UTC ones: the period it asks for must be
        # read in the same time zone, or recent calls fall after "today".
        cls.manager.tz = "UTC"

    def test_manager_opens_the_campaign_dashboard(self):
        start = fields.Datetime.now() - timedelta(hours=2)
        self.dial("ui-1", self.t1, start, agent=self.agent, wait=5, talk=125)
        self.dial("ui-2", self.t2, start + timedelta(minutes=5), agent=self.agent_b)
        action = self.campaign.with_user(self.manager).action_open_dashboard()
        self.assertEqual(action["params"], {"campaign_ids": [self.campaign.id]})
        code = """
            const deadline = Date.now() + 20000;
            const button = () => document.querySelector(
                'button[name=action_open_dashboard]');
            const openDashboard = () => {
                if (button()) {
                    button().click();
                    check();
                } else if (Date.now() > deadline) {
                    console.error('no Dashboard button on the campaign form');
                } else {
                    setTimeout(openDashboard, 100);
                }
            };
            const check = () => {
                const attempts = document.querySelector(
                    '.o_crm_telesales_kpi_attempts .o_crm_telesales_kpi_value');
                const cost = document.querySelector(
                    '.o_crm_telesales_kpi_cost .o_crm_telesales_kpi_value');
                const rows = [...document.querySelectorAll(
                    '.o_crm_telesales_dashboard_table .o_crm_telesales_dashboard_row')];
                const agentA = rows.find((row) => row.textContent.includes('Agent A'));
                if (attempts && attempts.textContent === '2' && agentA
                        && cost.textContent.includes('0.09')
                        && document.querySelector('.o_crm_telesales_dashboard_campaigns')
                            .textContent.includes('Loans')) {
                    agentA.click();
                    const waitList = () => {
                        const listed = document.querySelectorAll('.o_list_view .o_data_row');
                        if (listed.length === 1) {
                            console.log('test successful');
                        } else if (Date.now() > deadline) {
                            console.error('the row did not open the calls of Agent A');
                        } else {
                            setTimeout(waitList, 100);
                        }
                    };
                    waitList();
                } else if (Date.now() > deadline) {
                    console.error('dashboard not shown: '
                        + document.body.innerText.slice(0, 800));
                } else {
                    setTimeout(check, 100);
                }
            };
            openDashboard();
        """
        self.browser_js(
            f"/odoo/action-crm_telesales.crm_telesales_campaign_action/{self.campaign.id}",
            code,
            login="cc_manager",
        )

    def test_reporting_menu_lists_the_campaigns(self):
        self.campaign.action_start()
        start = fields.Datetime.now() - timedelta(hours=1)
        self.dial("ui-3", self.t3, start, agent=self.agent, wait=5, talk=60)
        code = """
            const deadline = Date.now() + 20000;
            const check = () => {
                const active = document.querySelector(
                    '.o_crm_telesales_dashboard_groupby .btn-primary');
                const rows = [...document.querySelectorAll(
                    '.o_crm_telesales_dashboard_table .o_crm_telesales_dashboard_row')];
                if (active && active.dataset.groupby === 'campaign'
                        && rows.some((row) => row.textContent.includes('Loans'))) {
                    console.log('test successful');
                } else if (Date.now() > deadline) {
                    console.error('campaign rows not shown: '
                        + document.body.innerText.slice(0, 800));
                } else {
                    setTimeout(check, 100);
                }
            };
            check();
        """
        self.browser_js(
            "/odoo/action-crm_telesales.crm_telesales_dashboard_action",
            code,
            login="cc_manager",
        )
