{
    "name": "ITSM Service Contracts",
    "summary": "Prepaid time-credit contracts, recharges as amendments, "
    "surcharged interventions, SLA matrix and steering committees for IT service providers",
    "version": "18.0.1.0.0",
    "category": "Services/Helpdesk",
    "author": "ITSM Service Contract contributors",
    "license": "AGPL-3",
    "depends": [
        "sale_management",
        "account",
        "portal",
        "resource",
        "helpdesk_mgmt_timesheet",
    ],
    "external_dependencies": {"python": []},
    "data": [],
    "demo": [],
    "installable": True,
    "application": True,
}
