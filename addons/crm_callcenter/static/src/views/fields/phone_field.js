import { patch } from "@web/core/utils/patch";
import { PhoneField } from "@web/views/fields/phone/phone_field";

/**
 * Phone numbers (and the form's "Call" link next to them) call through the
 * contact center for agents with an extension that can place calls; for
 * everyone else they stay tel: links.
 */
patch(PhoneField.prototype, {
    onClickCrmCallcenterPhone(ev) {
        // Read when clicked: the service loads after the first fields render,
        // and views without it (e.g. public pages) keep the tel: link.
        const callcenter = this.env.services.crm_callcenter;
        const number = this.props.record.data[this.props.name];
        if (!callcenter?.state.canClickToCall || !number) {
            return;
        }
        ev.preventDefault();
        // In lists and kanban cards, the click must not open the record.
        ev.stopPropagation();
        const { resModel, resId } = this.props.record;
        callcenter.clickToCall(number, { resModel, resId: resId || false });
    },
});
