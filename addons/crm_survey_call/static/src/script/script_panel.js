import { Component, markup, onWillStart, useState } from "@odoo/owl";
import { deserializeDateTime, serializeDateTime } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";

const { DateTime } = luxon;
const USER_INPUT_MODEL = "survey.user_input";

/** Server datetime (UTC "yyyy-MM-dd HH:mm:ss") <-> <input type=datetime-local>. */
export function toLocalInput(serverValue) {
    return serverValue ? deserializeDateTime(serverValue).toFormat("yyyy-MM-dd'T'HH:mm") : "";
}
export function fromLocalInput(inputValue) {
    return inputValue ? serializeDateTime(DateTime.fromISO(inputValue)) : "";
}

/**
 * A call script (survey) filled in by the agent during the call, one section
 * at a time. Conditional questions (core `triggering_answer_ids`) show as soon
 * as one of their triggering answers is chosen. Answers are saved through
 * survey.user_input.crm_survey_call_save, which validates them, writes the
 * mapped CRM fields and runs the answers' actions.
 */
export class ScriptPanel extends Component {
    static template = "crm_survey_call.ScriptPanel";
    static props = {
        userInputId: Number,
        onClose: { type: Function, optional: true },
    };

    setup() {
        this.orm = useService("orm");
        this.notification = useService("notification");
        this.action = useService("action");
        this.state = useState({
            data: null,
            values: {},
            errors: {},
            pageIndex: 0,
            saving: false,
            dirty: false,
        });
        onWillStart(() => this.load());
    }

    async load() {
        const data = await this.orm.call(USER_INPUT_MODEL, "crm_survey_call_get_data", [
            [this.props.userInputId],
        ]);
        const values = {};
        for (const page of data.pages) {
            for (const question of page.questions) {
                const value = data.values[question.id];
                if (question.type === "multiple_choice") {
                    values[question.id] = value || [];
                } else if (question.type === "datetime") {
                    values[question.id] = toLocalInput(value);
                } else {
                    values[question.id] = value ?? "";
                }
            }
        }
        const resumeAt = data.pages.findIndex((page) => page.id && page.id === data.last_page_id);
        Object.assign(this.state, {
            data,
            values,
            errors: {},
            pageIndex: Math.max(resumeAt, 0),
            dirty: false,
        });
    }

    get pages() {
        return this.state.data.pages;
    }

    get page() {
        return this.pages[this.state.pageIndex];
    }

    get isFirstPage() {
        return this.state.pageIndex === 0;
    }

    get isLastPage() {
        return this.state.pageIndex >= this.pages.length - 1;
    }

    /** Every suggested answer currently chosen, over all the pages. */
    get selectedAnswerIds() {
        const selected = new Set();
        for (const page of this.pages) {
            for (const question of page.questions) {
                if (!this.isVisible(question, selected)) {
                    continue;
                }
                const value = this.state.values[question.id];
                for (const id of Array.isArray(value) ? value : [value]) {
                    if (id) {
                        selected.add(id);
                    }
                }
            }
        }
        return selected;
    }

    isVisible(question, selected = null) {
        const triggers = question.triggering_answer_ids;
        if (!triggers.length) {
            return true;
        }
        selected = selected || this.selectedAnswerIds;
        return triggers.some((id) => selected.has(id));
    }

    get visibleQuestions() {
        const selected = this.selectedAnswerIds;
        return this.page.questions.filter((question) => this.isVisible(question, selected));
    }

    description(question) {
        return markup(question.description);
    }

    isChecked(question, answer) {
        const value = this.state.values[question.id];
        return Array.isArray(value) ? value.includes(answer.id) : value === answer.id;
    }

    setValue(question, value) {
        this.state.values[question.id] = value;
        delete this.state.errors[question.id];
        this.state.dirty = true;
    }

    onChoose(question, answer) {
        if (question.type === "multiple_choice") {
            const current = this.state.values[question.id] || [];
            this.setValue(
                question,
                current.includes(answer.id)
                    ? current.filter((id) => id !== answer.id)
                    : [...current, answer.id]
            );
        } else {
            const same = this.state.values[question.id] === answer.id;
            this.setValue(question, same ? "" : answer.id);
        }
    }

    onInput(question, ev) {
        this.setValue(question, ev.target.value);
    }

    /** The answers in the server's format, for the questions of every page. */
    serializeAnswers() {
        const answers = {};
        for (const page of this.pages) {
            for (const question of page.questions) {
                let value = this.state.values[question.id];
                if (question.type === "simple_choice") {
                    value = value ? [value] : [];
                } else if (question.type === "datetime") {
                    value = fromLocalInput(value);
                }
                answers[question.id] = value;
            }
        }
        return answers;
    }

    async save({ finish = false, pageIndex = this.state.pageIndex } = {}) {
        if (this.state.saving) {
            return false;
        }
        this.state.saving = true;
        try {
            const result = await this.orm.call(
                USER_INPUT_MODEL,
                "crm_survey_call_save",
                [[this.props.userInputId], this.serializeAnswers()],
                { page_id: this.pages[pageIndex].id || false, finish }
            );
            if (Object.keys(result.errors).length) {
                this.state.errors = result.errors;
                this.showFirstError();
                this.notification.add(_t("Some answers need your attention."), {
                    type: "danger",
                });
                return false;
            }
            this.state.errors = {};
            this.state.dirty = false;
            this.state.data.state = result.state;
            const details = [...result.changes, ...result.actions];
            this.notification.add(details.join("\n") || _t("Answers saved."), {
                title: finish ? _t("Script completed") : _t("Script saved"),
                type: "success",
            });
            return true;
        } finally {
            this.state.saving = false;
        }
    }

    showFirstError() {
        const erroneous = new Set(Object.keys(this.state.errors).map(Number));
        const index = this.pages.findIndex((page) =>
            page.questions.some((question) => erroneous.has(question.id))
        );
        if (index >= 0) {
            this.state.pageIndex = index;
        }
    }

    async goTo(pageIndex) {
        // Moving between sections saves: leaving the call and coming back
        // resumes where the agent was, with every answer given.
        if (this.state.dirty && !(await this.save({ pageIndex }))) {
            return;
        }
        this.state.pageIndex = pageIndex;
    }

    onPrevious() {
        return this.goTo(this.state.pageIndex - 1);
    }

    onNext() {
        return this.goTo(this.state.pageIndex + 1);
    }

    onSave() {
        return this.save();
    }

    async onFinish() {
        if (await this.save({ finish: true })) {
            this.props.onClose?.();
        }
    }

    async onOpenRecord() {
        const { model, id } = this.state.data.record;
        if (this.state.dirty && !(await this.save())) {
            return;
        }
        await this.action.doAction({
            type: "ir.actions.act_window",
            res_model: model,
            res_id: id,
            views: [[false, "form"]],
        });
    }
}

/** Client action wrapping the panel: `params.user_input_id`. */
export class ScriptAction extends Component {
    static template = "crm_survey_call.ScriptAction";
    static components = { ScriptPanel };
    static props = ["*"];

    setup() {
        this.actionService = useService("action");
        this.userInputId = this.props.action.params.user_input_id;
    }

    onClose() {
        // Back to where the agent came from (the call, the target, the lead).
        this.actionService.restore().catch(() => {});
    }
}

registry.category("actions").add("crm_survey_call.script", ScriptAction);
