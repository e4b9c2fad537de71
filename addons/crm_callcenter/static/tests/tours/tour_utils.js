/**
 * Helpers of the tours that play a contact center: the Python test fakes the
 * center at the HTTP transport and leaves the webhook requests it signed in
 * localStorage (``{"requests": [{url, body, headers}, ...]}`` under a key of
 * its choice); the tour posts them when the page is ready for them.
 */

/** POST the ``index``-th stored request, without the agent's session cookie
 * (as the contact center calls); fail the step on a refusal. */
export async function postWebhook(key, index) {
    const { requests } = JSON.parse(localStorage.getItem(key));
    const { url, body, headers } = requests[index];
    const response = await fetch(url, { method: "POST", body, headers, credentials: "omit" });
    if (!response.ok) {
        const reply = await response.text();
        throw new Error(`webhook request ${index} refused: ${response.status} ${reply}`);
    }
}

/** Phone links and Call buttons work once the service knows the agent can call. */
export async function agentCanCall() {
    const callcenter = odoo.__WOWL_DEBUG__.root.env.services.crm_callcenter;
    await callcenter.loaded;
    if (!callcenter.state.canClickToCall) {
        throw new Error("the agent should be able to place calls");
    }
}
