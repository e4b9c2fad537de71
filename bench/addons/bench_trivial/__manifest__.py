{  # noqa: B018
    "name": "Benchmark: trivial insert route",
    "version": "19.0.1.0.0",
    "summary": "Baseline for bench/webhook_load.py: a POST route doing one ORM insert",
    "category": "Hidden",
    "author": "CRM Call Center contributors",
    "license": "LGPL-3",
    "depends": ["base"],
    "data": ["security/ir.model.access.csv"],
}
