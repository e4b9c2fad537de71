import { useState } from "@odoo/owl";
import { TelesalesWorkspace } from "@crm_telesales/workspace/telesales_workspace";
import { ScriptPanel } from "@crm_survey_call/script/script_panel";
import { patch } from "@web/core/utils/patch";

/**
 * "Next call" shows the campaign's script beside the target's data. The
 * server's payload names the script answer (`target.script.user_input_id`):
 * the same one the target's Script button opens, so a refresh of the
 * workspace resumes it. In preview it is started only when the agent asks.
 */
patch(TelesalesWorkspace, {
    components: { ...TelesalesWorkspace.components, ScriptPanel },
});

patch(TelesalesWorkspace.prototype, {
    setup() {
        super.setup(...arguments);
        this.scriptState = useState({ opening: false });
    },

    get script() {
        return (this.target && this.target.script) || false;
    },

    async openScript() {
        if (this.scriptState.opening) {
            return;
        }
        this.scriptState.opening = true;
        const target = this.target;
        try {
            const action = await this.orm.call("crm.telesales.target", "action_open_script", [
                [target.id],
            ]);
            if (this.target === target) {
                target.script.user_input_id = action.params.user_input_id;
            }
        } finally {
            this.scriptState.opening = false;
        }
    },

    onScriptFinished() {
        return this.load("telesales_current", { keepTarget: true });
    },
});
