"""Every screen of the app opens: Odoo's own crawler (clickbot) on the addon's menus, per role.

The crawler (``web/static/src/webclient/clickbot``, as ``web/tests/test_click_everywhere.py`` runs it) opens the
app, clicks each of its menus, each filter of each search view and each view switcher, and fails on the first
error dialog: a view that does not load, an action whose context does not evaluate...

One crawl (one test) per top-level section of the app and role (Contracts, Interventions, Service desk...), so
that each stays short: the other sections are archived for the time of the crawl (in the test's transaction).
"""

import logging
import time

from odoo.tests import HttpCase
from odoo.tests import new_test_user
from odoo.tests import tagged

_logger = logging.getLogger(__name__)

ROOT_MENU = "itsm_service_contract.menu_itsm_root"
SECTIONS = (
    "menu_itsm_contracts",
    "menu_itsm_interventions_root",
    "menu_itsm_steering",
    "menu_itsm_service_desk",
    "menu_itsm_reporting",
    "menu_itsm_config",
)
CRAWL = "odoo.loader.modules.get('@web/webclient/clickbot/clickbot_loader').startClickEverywhere('%s');"


@tagged("post_install", "-at_install")
class TestClickEverywhere(HttpCase):
    """As an account manager and as a desk technician (and the configuration as a service manager), every menu of
    the app opens without an error dialog."""

    allow_end_on_form = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="itsm_click_manager",
            name="Click Manager",
            groups="itsm_service_contract.group_itsm_account_manager",
            tz="Europe/Paris",
        )
        cls.technician = new_test_user(
            cls.env,
            login="itsm_click_technician",
            name="Click Technician",
            groups="itsm_service_contract.group_itsm_technician",
            tz="Europe/Paris",
        )
        cls.service_manager = new_test_user(
            cls.env,
            login="itsm_click_service_manager",
            name="Click Service Manager",
            groups="itsm_service_contract.group_itsm_service_manager",
            tz="Europe/Paris",
        )
        for user in cls.manager | cls.technician | cls.service_manager:
            if "tour_enabled" in user._fields:
                user.tour_enabled = False

    def _crawl(self, user, section_xmlid):
        """Crawl the app as ``user`` with only its section ``section_xmlid`` (skipped when the user does not see it)."""
        section = self.env.ref(f"itsm_service_contract.{section_xmlid}")
        menus = self.env["ir.ui.menu"].with_user(user).load_menus(False)
        if section.id not in menus:
            self.skipTest(f"{user.login} does not see the section {section.name}")
        others = self.env["ir.ui.menu"].browse(menus[self.env.ref(ROOT_MENU).id]["children"]) - section
        # the crawl sees this section only: the others are archived for its time
        others.write({"active": False})
        started = time.time()
        try:
            self.browser_js(
                "/odoo",
                CRAWL % ROOT_MENU,
                "odoo.isReady === true",
                login=user.login,
                timeout=180,
                success_signal="clickbot test succeeded",
            )
        finally:
            others.write({"active": True})
        _logger.info("crawled %s as %s in %.1f s", section.name, user.login, time.time() - started)

    def test_every_section_is_crawled(self):
        root = self.env.ref(ROOT_MENU)
        sections = self.env["ir.ui.menu"].search([("parent_id", "=", root.id)])
        self.assertEqual(
            set(sections.get_external_id().values()), {f"itsm_service_contract.{xmlid}" for xmlid in SECTIONS}
        )

    # one test per section and role: each crawl stays short (a technician sees neither Steering nor Reporting)
    def test_manager_contracts(self):
        self._crawl(self.manager, "menu_itsm_contracts")

    def test_manager_interventions(self):
        self._crawl(self.manager, "menu_itsm_interventions_root")

    def test_manager_steering(self):
        self._crawl(self.manager, "menu_itsm_steering")

    def test_manager_service_desk(self):
        self._crawl(self.manager, "menu_itsm_service_desk")

    def test_manager_reporting(self):
        self._crawl(self.manager, "menu_itsm_reporting")

    def test_service_manager_configuration(self):
        self._crawl(self.service_manager, "menu_itsm_config")

    def test_technician_contracts(self):
        self._crawl(self.technician, "menu_itsm_contracts")

    def test_technician_interventions(self):
        self._crawl(self.technician, "menu_itsm_interventions_root")

    def test_technician_service_desk(self):
        self._crawl(self.technician, "menu_itsm_service_desk")
