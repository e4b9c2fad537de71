#!/usr/bin/env python3
"""Schedule adherence of the call center dashboard on a large presence history.

    python3 bench/adherence.py -c /path/to/odoo.conf
    python3 bench/adherence.py --agents 100 --stretches-per-day 300 --days 30

Inserts, in a transaction that is rolled back at the end, --days of presence
history for --agents new agents (each with an extension): contiguous stretches
of 5 minutes by default (available, in a call, wrap-up, with a stretch away
every 20), like the log a day of calls leaves. It then times the dashboard's
adherence (``_dashboard_adherence``) over the last day, week and month, and
shows the EXPLAIN of its query. The presence log is vacuumed before and after
(the rolled-back rows would slow the next run). No target: it informs (the
dashboard computes it on each load). Exits 0 whatever the figures.
"""

import statistics
import sys
import time
from datetime import datetime, timedelta

import _common as bc


def vacuum(config, database):
    """VACUUM the presence log: each run inserts its history and rolls it
    back, and the dead rows left behind slowed the next runs 2-4x until
    autovacuum passed."""
    cnx = config.connect(database)
    try:
        cnx.autocommit = True
        with cnx.cursor() as cr:
            cr.execute("VACUUM ANALYZE crm_callcenter_presence_log")
    finally:
        cnx.close()


def main(argv=None):
    parser = bc.arg_parser(__doc__)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--stretches-per-day", type=int, default=300)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    config = bc.BenchConfig.from_args(args)
    database = config.database
    config.ensure_database(database, ["crm_callcenter"], update=not args.no_update)
    print(
        f"adherence on database {database}: {args.agents} agents, "
        f"{args.stretches_per_day} stretches a day, {args.days} days"
    )
    print(bc.machine_note())
    vacuum(config, database)
    with bc.odoo_env(config, database, commit=False) as env:
        cr = env.cr
        now = datetime.utcnow().replace(microsecond=0)
        seconds = 86400 // args.stretches_per_day
        users = env["res.users"].create(
            [
                {"name": f"Bench agent {n}", "login": f"bench_adherence_{n}"}
                for n in range(args.agents)
            ]
        )
        env["crm.callcenter.extension"].create(
            [{"name": f"9{n:04d}", "user_id": user.id} for n, user in enumerate(users)]
        )
        count = args.stretches_per_day * args.days
        bc.say(f"inserting {count * args.agents} presence stretches")
        cr.execute(
            """
            INSERT INTO crm_callcenter_presence_log
                (user_id, presence, date_start, date_end, duration_hours)
            SELECT u,
                   CASE WHEN g %% 20 = 0 THEN 'away'
                        ELSE (ARRAY['available', 'in_call', 'wrap_up'])[1 + g %% 3]
                   END,
                   %(now)s - make_interval(secs => g * %(secs)s),
                   %(now)s - make_interval(secs => (g - 1) * %(secs)s),
                   %(secs)s / 3600.0
              FROM unnest(%(users)s) u, generate_series(1, %(count)s) g
            """,
            {"now": now, "secs": seconds, "users": users.ids, "count": count},
        )
        cr.execute("ANALYZE crm_callcenter_presence_log")
        Call = env["crm.callcenter.call"]
        rows = []
        for days in (1, 7, 30):
            if days > args.days:
                continue
            start = now - timedelta(days=days)
            timings = []
            for _round in range(args.rounds):
                env.invalidate_all()
                t0 = time.perf_counter()
                result = Call._dashboard_adherence(start, now + timedelta(hours=1))
                timings.append((time.perf_counter() - t0) * 1000)
            rows.append(
                [
                    f"last {days} day(s)",
                    days * args.stretches_per_day * args.agents,
                    len(result),
                    statistics.median(timings),
                    min(timings),
                ]
            )
        bc.table(
            ["period", "stretches", "agents", "median ms", "min ms"],
            rows,
            title="Schedule adherence (_dashboard_adherence)",
        )
        cr.execute(
            "EXPLAIN ANALYZE SELECT id FROM crm_callcenter_presence_log"
            " WHERE date_start < %s AND (date_end IS NULL OR date_end > %s)",
            [now, now - timedelta(days=1)],
        )
        print("\nEXPLAIN ANALYZE of the period's stretches (last day):")
        for (line,) in cr.fetchall():
            print("  " + line)
        print(bc.machine_note("end"))
        cr.rollback()
    vacuum(config, database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
