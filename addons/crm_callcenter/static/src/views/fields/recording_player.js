import { Component, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

/**
 * Player of a call's recording, on the call's ``has_recording`` field. The
 * audio comes from /callcenter/call/<id>/recording, which asks the provider
 * for it when played (nothing is downloaded before the agent presses play).
 */
export class CallRecordingPlayer extends Component {
    static template = "crm_callcenter.CallRecordingPlayer";
    static props = { ...standardFieldProps };

    setup() {
        this.state = useState({ failed: false });
    }

    get url() {
        return `/callcenter/call/${this.props.record.resId}/recording`;
    }

    onError() {
        this.state.failed = true;
    }
}

registry.category("fields").add("callcenter_recording", {
    component: CallRecordingPlayer,
    supportedTypes: ["boolean"],
});
