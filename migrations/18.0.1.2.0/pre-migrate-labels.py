"""18.0.1.2.0: a committee's rows are named when read, in the reader's language.

Before, ``itsm_committee_kpi.name`` was the row's label frozen as text in the language of whoever prepared the
figures ("Request P2", "No domain") and ``problem_state`` the problem state's English label. Now the label is
computed from the row's keys (kind and priority, category, domain, problem, month); the frozen text is kept in
``frozen_name``, shown only when the row's record was deleted since, and ``problem_state`` stores the state's key.
"""

from odoo.tools.sql import column_exists
from odoo.tools.sql import rename_column

PROBLEM_STATE_LABELS = {
    "New": "new",
    "Analysis": "analysis",
    "Known error": "known_error",
    "Resolved": "resolved",
    "Closed": "closed",
}


def migrate(cr, version):
    if not version:
        return
    if column_exists(cr, "itsm_committee_kpi", "name") and not column_exists(cr, "itsm_committee_kpi", "frozen_name"):
        rename_column(cr, "itsm_committee_kpi", "name", "frozen_name")
        cr.execute("ALTER TABLE itsm_committee_kpi ALTER COLUMN frozen_name DROP NOT NULL")
        # rows whose label is rebuilt from their keys alone keep no frozen text
        cr.execute("UPDATE itsm_committee_kpi SET frozen_name = NULL WHERE section IN ('tickets', 'consumption')")
    for label, key in PROBLEM_STATE_LABELS.items():
        cr.execute("UPDATE itsm_committee_kpi SET problem_state = %s WHERE problem_state = %s", [key, label])
