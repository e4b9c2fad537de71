#!/usr/bin/env python3
"""odoo-bin for the benchmarks (``python3 bench/_odoo_bin.py <odoo options>``).

The prefork server starts its websocket process as ``sys.executable
sys.argv[0] gevent ...``, so the benchmarks need a script as argv[0] (with
``python -m odoo`` argv[0] is odoo/__main__.py, which cannot run as a
script). In the gevent process, gevent's plugin hooks are loaded through
importlib.metadata instead of pkg_resources: an old setuptools' pkg_resources
does not find distributions installed with normalized names
(zope_interface-*.dist-info) and the websocket process then dies at start
with "DistributionNotFound: zope.interface". Nothing else changes.
"""

import sys


def _load_gevent_plugins_with_importlib():
    from importlib.metadata import entry_points

    import gevent.events

    gevent.events.iter_entry_points = lambda group: entry_points(group=group)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "gevent":
        _load_gevent_plugins_with_importlib()
    import odoo.cli

    odoo.cli.main()
