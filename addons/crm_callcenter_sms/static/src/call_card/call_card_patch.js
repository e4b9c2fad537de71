import { patch } from "@web/core/utils/patch";
import { useService } from "@web/core/utils/hooks";
import { CallCard } from "@crm_callcenter/components/call_card/call_card";

patch(CallCard.prototype, {
    setup() {
        super.setup(...arguments);
        this.smsOrm = useService("orm");
        this.smsAction = useService("action");
    },

    get canSendSms() {
        return Boolean(this.call && this.call.number);
    },

    async onSendSms() {
        if (this.ui.busy) {
            return;
        }
        this.ui.busy = true;
        try {
            const action = await this.smsOrm.call("crm.callcenter.call", "action_send_sms", [
                [this.props.callId],
            ]);
            await this.smsAction.doAction(action);
        } finally {
            this.ui.busy = false;
        }
    },
});
