# ruff: noqa: I001 -- itsm_contract_month is imported last on purpose (see the end)
# Mixins first: the models below inherit them.
from . import itsm_reference_mixin

# isort: split
from . import account_analytic_line
from . import account_analytic_line_estate
from . import document_page
from . import helpdesk_ticket
from . import helpdesk_ticket_escalation
from . import helpdesk_ticket_estate
from . import helpdesk_ticket_kb
from . import helpdesk_ticket_monitoring
from . import helpdesk_ticket_scope
from . import helpdesk_ticket_sla
from . import helpdesk_ticket_stage
from . import helpdesk_ticket_team
from . import ir_actions_report
from . import itsm_activity_sheet
from . import itsm_calendar_cache_mixin
from . import itsm_committee
from . import itsm_committee_action
from . import itsm_committee_figures
from . import itsm_committee_kpi
from . import itsm_committee_mco
from . import itsm_contract
from . import itsm_contract_actions
from . import itsm_contract_dashboard
from . import itsm_contract_figure_pending
from . import itsm_contract_ledger
from . import itsm_contract_monitoring
from . import itsm_contract_recharge
from . import itsm_contract_scope
from . import itsm_contract_scope_fields
from . import itsm_contract_state
from . import itsm_credit_move
from . import itsm_estate_contract
from . import itsm_mco_report
from . import itsm_mco_template
from . import itsm_monitoring_alert
from . import itsm_monitoring_rate
from . import itsm_monitoring_severity
from . import itsm_monitoring_source
from . import itsm_problem
from . import itsm_retention
from . import itsm_reversibility_export
from . import itsm_service_domain
from . import itsm_sla_matrix
from . import itsm_sla_rule
from . import itsm_statement
from . import itsm_statement_line
from . import itsm_ticket_catalog
from . import itsm_ticket_escalation
from . import maintenance_equipment
from . import product_template
from . import res_company
from . import res_config_settings
from . import res_partner
from . import resource_calendar
from . import resource_calendar_attendance
from . import resource_calendar_leaves
from . import sale_order
from . import sale_order_line

# last: its init() creates the triggers on the tables of the models above (itsm_credit_move among them)
from . import itsm_contract_month
