"""Task API: other systems add targets to a campaign and read their result.

``POST /telesales/api/v1/campaigns/<id>/targets`` with an Odoo API key
(``Authorization: Bearer <key>``) and a JSON list of targets; the answer
lists, per item, ``created``, ``updated`` or ``error`` with a reason.
``GET /telesales/api/v1/campaigns/<id>/targets/<external_ref>`` answers a
target's state, attempts and result. See readme/USAGE.md.

Adding targets needs a call center manager's key; reading one needs a
manager's key or the key of an agent working in the campaign.
"""

import json
import re

from odoo import http
from odoo.addons.crm_callcenter.tools.storable import NUL, without_nul
from odoo.http import request

MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_TARGETS = 1000
MANAGER_GROUP = "crm_callcenter.crm_callcenter_group_manager"


def _error(status, reason):
    return request.make_json_response(
        {"status": "error", "error": reason}, status=status
    )


def _authenticate():
    """Switch to the user of the request's API key (``Authorization: Bearer
    <key>``), as Odoo's ``auth='bearer'`` does; ``None`` when the key is
    missing or wrong, else the error answer to return.

    Done here rather than by ``auth='bearer'`` so that other systems get a
    JSON answer instead of Odoo's HTML error page.
    """
    header = request.httprequest.headers.get("Authorization") or ""
    match = re.match(r"^bearer\s+(.+)$", header, re.IGNORECASE)
    key = match and match.group(1).strip()
    # (No key has a NUL, which PostgreSQL cannot even compare.)
    uid = (
        key
        and NUL not in key
        and request.env["res.users.apikeys"]._check_credentials(scope="rpc", key=key)
    )
    if not uid:
        response = _error(
            401,
            "invalid API key" if match else "missing API key (Authorization: Bearer)",
        )
        response.headers["WWW-Authenticate"] = "Bearer"
        return response
    request.update_env(user=uid)
    return None


def _campaign(campaign_id):
    """The campaign (as superuser) and whether the key's user may read it,
    or an error answer."""
    campaign = request.env["crm.telesales.campaign"].sudo().browse(campaign_id)
    if not campaign.exists():
        return None, _error(404, "unknown campaign")
    return campaign, None


def _may_read(campaign):
    user = request.env.user
    if user.has_group(MANAGER_GROUP):
        return True
    Campaign = request.env["crm.telesales.campaign"]
    return bool(Campaign.search_count([("id", "=", campaign.id)], limit=1))


class TelesalesApiController(http.Controller):
    @http.route(
        "/telesales/api/v1/campaigns/<int:campaign_id>/targets",
        type="http",
        # The API key is checked by _authenticate (JSON answers).
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def telesales_add_targets(self, campaign_id, **_kwargs):
        if error := _authenticate():
            return error
        httprequest = request.httprequest
        if (httprequest.content_length or 0) > MAX_BODY_BYTES:
            return _error(413, "body too large")
        body = httprequest.get_data()
        if len(body) > MAX_BODY_BYTES:
            return _error(413, "body too large")
        try:
            doc = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            return _error(400, "body is not valid JSON")
        items = doc.get("targets") if isinstance(doc, dict) else doc
        if not isinstance(items, list):
            return _error(400, "body must be a JSON list of targets")
        if not items:
            return _error(400, "no targets given")
        if len(items) > MAX_TARGETS:
            return _error(413, f"at most {MAX_TARGETS} targets per request")
        campaign, error = _campaign(campaign_id)
        if error:
            return error
        if not request.env.user.has_group(MANAGER_GROUP):
            return _error(403, "only call center managers may add targets")
        if campaign.company_id not in request.env.user.company_ids:
            return _error(403, "the campaign belongs to another company")
        if campaign.state == "done":
            return _error(409, "the campaign is done")
        campaign = campaign.with_user(request.env.user).with_company(
            campaign.company_id
        )
        results = (
            request.env["crm.telesales.target"]
            .with_company(campaign.company_id)
            ._intake(campaign, items)
        )
        counts = {"created": 0, "updated": 0, "error": 0}
        for result in results:
            counts[result["status"]] += 1
        return request.make_json_response(
            {"status": "ok", **counts, "results": results}, status=200
        )

    @http.route(
        "/telesales/api/v1/campaigns/<int:campaign_id>/targets/<path:external_ref>",
        type="http",
        # The API key is checked by _authenticate (JSON answers).
        auth="public",
        methods=["GET"],
        csrf=False,
        save_session=False,
        readonly=True,
    )
    def telesales_get_target(self, campaign_id, external_ref, **_kwargs):
        if error := _authenticate():
            return error
        campaign, error = _campaign(campaign_id)
        if error:
            return error
        if not _may_read(campaign):
            return _error(403, "not a manager or an agent of this campaign")
        # Checked above: the user may read the campaign's targets.
        target = (
            request.env["crm.telesales.target"]
            .sudo()
            .search(
                [
                    ("campaign_id", "=", campaign.id),
                    # As the intake stored it.
                    ("external_ref", "=", without_nul(external_ref)),
                ],
                limit=1,
            )
        )
        if not target:
            return _error(404, "unknown target")
        return request.make_json_response(target._api_status())
