from odoo import http
from odoo.http import request


class BenchTrivialController(http.Controller):
    # Same flags as /callcenter/webhook/<token>: the figure it gives is the
    # cost of Odoo's request cycle plus one insert, the floor our webhook is
    # compared with.
    @http.route(
        "/bench/trivial",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def bench_trivial(self, **_kwargs):
        body = request.httprequest.get_data()
        # sudo: benchmark-only model, written by the public user of the route.
        row = (
            request.env["bench.trivial.row"]
            .sudo()
            .create({"name": "bench", "value": len(body)})
        )
        return request.make_json_response({"status": "ok", "id": row.id})
