from . import itsm_sla_compliance_report
