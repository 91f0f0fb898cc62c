"""18.0.1.1.0: an intervention's explanation is written in the reader's language from stored figures.

Before, ``account_analytic_line.itsm_surcharge_detail`` was stored text in one language. Now each line keeps
the contract's counting terms it was counted with (``itsm_count_terms``) and the explanation is formatted when
read. Lines counted before this version get the terms their contract has at the upgrade, which are the terms
they were counted with unless the contract's terms were changed since (the stored figures never change).

Pre-migration on purpose: the column exists and is filled before Odoo loads the new field, so Odoo does not
take it for a new computed column and recount every intervention (which would rewrite counted and credit hours
of past lines with today's terms).
"""


def migrate(cr, version):
    if not version:
        return
    cr.execute("ALTER TABLE account_analytic_line ADD COLUMN IF NOT EXISTS itsm_count_terms jsonb")
    cr.execute(
        """
        UPDATE account_analytic_line AS line
           SET itsm_count_terms = jsonb_build_object(
                   'step_minutes', contract.remote_rounding_minutes,
                   'urgent_pct', contract.urgent_surcharge,
                   'nho_pct', contract.nho_surcharge,
                   'combination', contract.surcharge_combination)
          FROM itsm_contract AS contract
         WHERE line.itsm_contract_id = contract.id
           AND line.itsm_count_terms IS NULL
           AND line.date_time IS NOT NULL
        """
    )
