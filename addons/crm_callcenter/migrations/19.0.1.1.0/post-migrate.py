"""Agents see the calls that rang for them too (ring groups).

The rule is ``noupdate``: an upgrade does not rewrite it. Its domain is
changed here unless the database's administrator changed it already.
"""

OLD_DOMAIN = "[('user_id', '=', user.id)]"
NEW_DOMAIN = "['|', ('user_id', '=', user.id), ('ringing_user_ids', 'in', user.id)]"


def migrate(cr, version):
    cr.execute(
        """
        UPDATE ir_rule SET domain_force = %s
         WHERE id = (SELECT res_id FROM ir_model_data
                      WHERE module = 'crm_callcenter'
                        AND name = 'crm_callcenter_call_rule_agent')
           AND regexp_replace(domain_force, '\\s', '', 'g')
               = regexp_replace(%s, '\\s', '', 'g')
        """,
        (NEW_DOMAIN, OLD_DOMAIN),
    )
