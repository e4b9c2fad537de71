"""Agents see the calls they transferred to another agent too; the
presence history gets the duration of its past stretches.

The rule is ``noupdate``: an upgrade does not rewrite it. Its domain is
changed here unless the database's administrator changed it already (the
domains of 19.0.1.0.0 and 19.0.1.1.0 are the ones replaced).
"""

OLD_DOMAINS = (
    "[('user_id', '=', user.id)]",
    "['|', ('user_id', '=', user.id), ('ringing_user_ids', 'in', user.id)]",
)
NEW_DOMAIN = (
    "['|', '|', ('user_id', '=', user.id), ('ringing_user_ids', 'in', user.id),"
    " ('transferred_from_user_ids', 'in', user.id)]"
)


def migrate(cr, version):
    cr.execute(
        """
        UPDATE ir_rule SET domain_force = %s
         WHERE id = (SELECT res_id FROM ir_model_data
                      WHERE module = 'crm_callcenter'
                        AND name = 'crm_callcenter_call_rule_agent')
           AND regexp_replace(domain_force, '\\s', '', 'g')
               = ANY(ARRAY[%s, %s])
        """,
        (NEW_DOMAIN, *(domain.replace(" ", "") for domain in OLD_DOMAINS)),
    )
    cr.execute(
        """
        UPDATE crm_callcenter_presence_log
           SET duration_hours = GREATEST(
                   EXTRACT(EPOCH FROM date_end - date_start), 0
               ) / 3600.0
         WHERE date_end IS NOT NULL AND duration_hours IS NULL
        """
    )
