import re

from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import ValidationError

from ..access import checked

IP_ADDRESS = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")


def normalise_host(host):
    """'WEB01.client.lan:9100' -> ('web01.client.lan', 'web01'); an IP address keeps its dots."""
    host = (host or "").strip().lower()
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", host).split("/")[0]
    if host.count(":") == 1:  # host:port; an IPv6 address has several colons and is kept whole
        name, port = host.split(":")
        if port.isdigit():
            host = name
    host = host.rstrip(".")
    # an IP address, or a name starting with a digit, is only ever matched whole
    short = host if IP_ADDRESS.match(host) or host[:1].isdigit() else host.split(".")[0]
    return host, short


class MaintenanceEquipment(models.Model):
    """A machine of a client's estate (seed 004): the workstations, servers, printers and network devices
    the provider looks after, so that a ticket, an alert or an intervention says which one."""

    _inherit = "maintenance.equipment"

    itsm_partner_id = fields.Many2one(
        "res.partner",
        string="Client",
        index="btree_not_null",
        tracking=True,
        domain="[('is_company', '=', True)]",
        help="The client company this machine belongs to.",
    )
    itsm_contract_id = fields.Many2one(
        "itsm.contract",
        string="Service contract",
        index="btree_not_null",
        tracking=True,
        domain="[('partner_id', '=', itsm_partner_id)]",
        help="The client's contract that covers this machine.",
    )
    itsm_domain_id = fields.Many2one(
        "itsm.service.domain",
        string="Support domain",
        index="btree_not_null",
        help="What the machine is for the contract's scope: servers, workstations, network...",
    )
    itsm_hostname = fields.Char(
        string="Hostname", index="btree_not_null", help="Network name, unique per client whatever the case."
    )
    itsm_site = fields.Char(string="Site", help="Where the machine is: site, building, room.")
    itsm_user_partner_id = fields.Many2one(
        "res.partner",
        string="User",
        domain="[('commercial_partner_id', '=', itsm_partner_id)]",
        help="The client's contact who uses this machine.",
    )
    itsm_in_scope = fields.Boolean(
        string="In scope",
        compute="_compute_itsm_in_scope",
        store=True,
        help="Unchecked when the contract leaves the machine's support domain out.",
    )
    itsm_ticket_ids = fields.One2many("helpdesk.ticket", "itsm_equipment_id", string="Tickets")
    itsm_ticket_count = fields.Integer(compute="_compute_itsm_ticket_count", string="Ticket count")

    def init(self):
        result = super().init()
        # the guarantee: two machines of one client never share a hostname, whatever the case
        self.env.cr.execute(
            """CREATE UNIQUE INDEX IF NOT EXISTS maintenance_equipment_itsm_hostname_uniq
                ON maintenance_equipment (itsm_partner_id, lower(itsm_hostname))
                WHERE itsm_partner_id IS NOT NULL AND itsm_hostname IS NOT NULL"""
        )
        return result

    @api.depends("itsm_contract_id", "itsm_domain_id", "itsm_contract_id.scope_ids.coverage")
    def _compute_itsm_in_scope(self):
        to_check = self.filtered(lambda e: e.itsm_contract_id and e.itsm_domain_id)
        (self - to_check).itsm_in_scope = True
        scopes = to_check.itsm_contract_id._itsm_scope_map()
        for equipment in to_check:
            line = scopes.get(equipment.itsm_contract_id.id, {}).get(equipment.itsm_domain_id.id)
            equipment.itsm_in_scope = not (line and line.coverage == "excluded")

    def _compute_itsm_ticket_count(self):
        counts = dict(
            self.env["helpdesk.ticket"]._read_group(
                [("itsm_equipment_id", "in", self.ids)], ["itsm_equipment_id"], ["__count"]
            )
        )
        for equipment in self:
            equipment.itsm_ticket_count = counts.get(equipment, 0)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("itsm_hostname"):
                vals["itsm_hostname"] = vals["itsm_hostname"].strip()
        self._itsm_check_hostnames_free(
            [(vals.get("itsm_partner_id"), vals.get("itsm_hostname"), None) for vals in vals_list]
        )
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("itsm_hostname"):
            vals["itsm_hostname"] = vals["itsm_hostname"].strip()
        if "itsm_hostname" in vals or "itsm_partner_id" in vals:
            self._itsm_check_hostnames_free(
                [
                    (
                        vals.get("itsm_partner_id", equipment.itsm_partner_id.id),
                        vals.get("itsm_hostname", equipment.itsm_hostname),
                        equipment.id,
                    )
                    for equipment in self
                ]
            )
        return super().write(vals)

    @api.model
    def _itsm_check_hostnames_free(self, entries):
        """Refuse a hostname a client already uses, before the unique index does, with a readable message.

        ``entries``: (client id, hostname, id of the machine being changed or None). One query for the batch.
        """
        entries = [(int(partner), host, own) for partner, host, own in entries if partner and host]
        if not entries:
            return
        seen = {}
        for partner, host, own in entries:
            key = (partner, host.lower())
            if key in seen and (own is None or seen[key] != own):
                self._itsm_raise_hostname_taken(partner, host, host)
            seen[key] = own
        self.flush_model(["itsm_partner_id", "itsm_hostname"])
        self.env.cr.execute(
            """SELECT equipment.id, equipment.itsm_partner_id, lower(equipment.itsm_hostname)
                 FROM maintenance_equipment equipment
                 JOIN unnest(%s::int[], %s::varchar[]) AS wanted(partner_id, host)
                   ON equipment.itsm_partner_id = wanted.partner_id
                  AND lower(equipment.itsm_hostname) = wanted.host""",
            [[partner for partner, _host, _own in entries], [host.lower() for _partner, host, _own in entries]],
        )
        for equipment_id, partner, host in self.env.cr.fetchall():
            if seen.get((partner, host)) != equipment_id:
                self._itsm_raise_hostname_taken(partner, host, self.sudo().browse(equipment_id).display_name)

    def _itsm_raise_hostname_taken(self, partner_id, hostname, other):
        raise ValidationError(
            self.env._(
                "The hostname %(hostname)s is already used by %(other)s for client %(client)s: a hostname "
                "names one machine of a client (upper and lower case are the same name).",
                hostname=hostname,
                other=other,
                client=self.env["res.partner"].sudo().browse(partner_id).display_name,
            )
        )

    @api.constrains("itsm_partner_id", "itsm_contract_id")
    def _check_itsm_contract_client(self):
        for equipment in self.filtered("itsm_contract_id"):
            if equipment.itsm_contract_id.partner_id != equipment.itsm_partner_id:
                raise ValidationError(
                    self.env._(
                        "Equipment %(equipment)s: contract %(contract)s belongs to %(owner)s, not to the "
                        "machine's client %(client)s.",
                        equipment=equipment.display_name,
                        contract=equipment.itsm_contract_id.name,
                        owner=equipment.itsm_contract_id.partner_id.display_name,
                        client=equipment.itsm_partner_id.display_name or "-",
                    )
                )

    @api.onchange("itsm_partner_id")
    def _onchange_itsm_partner_id(self):
        if self.itsm_contract_id and self.itsm_contract_id.partner_id != self.itsm_partner_id:
            self.itsm_contract_id = False
        if not self.itsm_contract_id and self.itsm_partner_id:
            self.itsm_contract_id = self.env["itsm.contract"].search(
                [("partner_id", "=", self.itsm_partner_id.id), ("state", "in", ("active", "grace"))], limit=1
            )

    @api.model
    def _itsm_find_by_host(self, partner, host):
        """The client's machine a monitoring label names ('web01', 'WEB01.client.lan:9100'), or nothing.

        The full name is tried first, then the short name (before the first dot) on either side; a short name
        shared by two machines of the client matches none of them.
        """
        client = partner.commercial_partner_id
        full, short = normalise_host(host)
        if not client or not full:
            return self.browse()
        self.env["maintenance.equipment"].flush_model(["itsm_partner_id", "itsm_hostname"])
        self.env.cr.execute(
            """SELECT id, lower(itsm_hostname) = %(full)s
                 FROM maintenance_equipment
                WHERE itsm_partner_id = %(client)s
                  AND itsm_hostname IS NOT NULL
                  AND (lower(itsm_hostname) = %(full)s
                       OR lower(itsm_hostname) = %(short)s
                       OR split_part(lower(itsm_hostname), '.', 1) = %(short)s)""",
            {"client": client.id, "full": full, "short": short},
        )
        rows = self.env.cr.fetchall()
        exact = [equipment_id for equipment_id, is_exact in rows if is_exact]
        if exact:
            return self.browse(exact[0])
        return self.browse(rows[0][0]) if len(rows) == 1 else self.browse()

    @checked()
    def action_view_itsm_tickets(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("helpdesk_mgmt.helpdesk_ticket_action")
        action.update(
            {
                "domain": [("itsm_equipment_id", "=", self.id)],
                "context": {
                    "default_itsm_equipment_id": self.id,
                    "default_partner_id": self.itsm_user_partner_id.id or self.itsm_partner_id.id,
                },
            }
        )
        return action
