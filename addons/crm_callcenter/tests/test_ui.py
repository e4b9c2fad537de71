from odoo.tests import HttpCase, new_test_user, tagged

from .common import CallcenterCase

WAIT_FOR = """
const deadline = Date.now() + 20000;
const check = () => {
    const text = document.querySelector('%(selector)s')?.textContent || '';
    if (%(condition)s) {
        console.log('test successful');
    } else if (Date.now() > deadline) {
        console.error('not shown: %(selector)s = ' + JSON.stringify(text));
    } else {
        setTimeout(check, 100);
    }
};
check();
"""


@tagged("post_install", "-at_install")
class TestCallcenterUi(HttpCase, CallcenterCase):
    """The screens open in a real browser for the people who use them."""

    def test_manager_sees_the_webhook_url_on_the_provider_form(self):
        token = self.provider.webhook_token
        code = WAIT_FOR % {
            "selector": ".o_form_view div[name=webhook_url]",
            "condition": f"text.includes('/callcenter/webhook/{token}')",
        }
        self.browser_js(
            f"/odoo/action-crm_callcenter.crm_callcenter_provider_action/{self.provider.id}",
            code,
            login="cc_manager",
        )

    def test_agent_sees_own_call_in_the_call_list(self):
        self.feed(self.center.answered_call("ui-mine", agent="101"))
        self.feed(self.center.answered_call("ui-other", agent="102"))
        code = WAIT_FOR % {
            "selector": ".o_list_view .o_list_table tbody",
            "condition": "text.includes('Nguyễn Thị Test') && "
            "document.querySelectorAll('.o_list_view .o_data_row').length === 1",
        }
        self.browser_js(
            "/odoo/action-crm_callcenter.crm_callcenter_call_action",
            code,
            login="cc_agent_a",
        )


@tagged("post_install", "-at_install")
class TestCrmMenusClickEverywhere(HttpCase):
    """Every menu of the CRM app (ours: Call Center, Telesales and their
    reports and settings), each of its views and search filters opens
    without a client error, for a manager and for an agent: Odoo's own
    crawler, in the browser."""

    def click_everywhere(self, login):
        self.browser_js(
            "/odoo",
            "odoo.loader.modules.get('@web/webclient/clickbot/clickbot_loader')"
            ".startClickEverywhere('crm.crm_menu_root');",
            "odoo.isReady === true",
            login=login,
            timeout=600,
            success_signal="clickbot test succeeded",
        )

    def test_as_admin(self):
        self.env.ref("base.user_admin").tour_enabled = False
        self.click_everywhere("admin")

    def test_as_agent(self):
        user = new_test_user(
            self.env,
            login="cc_click_agent",
            groups="sales_team.group_sale_salesman,"
            "crm_callcenter.crm_callcenter_group_agent",
        )
        user.tour_enabled = False
        self.click_everywhere("cc_click_agent")
