import { CallCard } from "@crm_callcenter/components/call_card/call_card";
import { patch } from "@web/core/utils/patch";

patch(CallCard.prototype, {
    async onOpenScript() {
        if (this.ui.busy) {
            return;
        }
        this.ui.busy = true;
        try {
            await this.callcenter.callAction(this.props.callId, "action_open_script");
        } finally {
            this.ui.busy = false;
        }
    },
});
