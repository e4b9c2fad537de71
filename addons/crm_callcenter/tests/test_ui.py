from odoo.tests import HttpCase, tagged

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
