import { patch } from "@web/core/utils/patch";
import { useService } from "@web/core/utils/hooks";
import { CallCard } from "@crm_callcenter/components/call_card/call_card";

patch(CallCard.prototype, {
    setup() {
        super.setup(...arguments);
        this.mailStore = useService("mail.store");
    },

    get canSendSms() {
        return Boolean(this.call && this.call.number);
    },

    async onSendSms() {
        if (this.ui.busy) {
            return;
        }
        // The composer posts on the lead, else the contact (see the server's
        // action_send_sms): that chatter, if shown, gets the SMS once sent.
        const { lead, partner } = this.call;
        const record = lead ? { model: "crm.lead", id: lead.id } : partner && { model: "res.partner", id: partner.id };
        this.ui.busy = true;
        try {
            await this.callcenter.callAction(this.props.callId, "action_send_sms", [], {
                onClose: () => record && this.mailStore.Thread.get(record)?.fetchNewMessages(),
            });
        } finally {
            this.ui.busy = false;
        }
    },
});
