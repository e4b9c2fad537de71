from odoo import fields, models


class BenchTrivialRow(models.Model):
    """One row per request of the baseline route: the cheapest useful write."""

    _name = "bench.trivial.row"
    _description = "Benchmark Row"

    name = fields.Char(required=True)
    value = fields.Integer()
