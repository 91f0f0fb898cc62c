"""Every screen of the app opens: Odoo's own crawler (clickbot) on the addon's menus, per role.

The crawler (``web/static/src/webclient/clickbot``, as ``web/tests/test_click_everywhere.py`` runs it) opens the
app, clicks each of its menus, each filter of each search view and each view switcher, and fails on the first
error dialog: a view that does not load, an action whose context does not evaluate...

One crawl per top-level section of the app (Contracts, Interventions, Service desk...), so that each stays
short: the other sections are archived for the time of the crawl (in the test's transaction).
"""

import logging
import time

from odoo.tests import HttpCase
from odoo.tests import new_test_user
from odoo.tests import tagged

_logger = logging.getLogger(__name__)

ROOT_MENU = "itsm_service_contract.menu_itsm_root"
CRAWL = "odoo.loader.modules.get('@web/webclient/clickbot/clickbot_loader').startClickEverywhere('%s');"


@tagged("post_install", "-at_install")
class TestClickEverywhere(HttpCase):
    """As an account manager and as a desk technician, every menu of the app opens without an error dialog."""

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
        for user in cls.manager | cls.technician:
            if "tour_enabled" in user._fields:
                user.tour_enabled = False

    def _sections(self, user):
        """The top-level sections of the app the user sees."""
        menus = self.env["ir.ui.menu"].with_user(user).load_menus(False)
        root = self.env.ref(ROOT_MENU)
        return self.env["ir.ui.menu"].browse(menus[root.id]["children"])

    def _crawl(self, user):
        sections = self._sections(user)
        self.assertTrue(sections, f"{user.login} sees no menu in the app")
        for section in sections:
            with self.subTest(user=user.login, section=section.name):
                # the crawl sees this section only: the others are archived for its time
                (sections - section).write({"active": False})
                self.env.flush_all()
                started = time.time()
                try:
                    self.browser_js(
                        "/odoo",
                        CRAWL % ROOT_MENU,
                        "odoo.isReady === true",
                        login=user.login,
                        timeout=120,
                        success_signal="clickbot test succeeded",
                    )
                finally:
                    (sections - section).write({"active": True})
                    self.env.flush_all()
                _logger.info("crawled %s as %s in %.1f s", section.name, user.login, time.time() - started)

    def test_click_everywhere_account_manager(self):
        self._crawl(self.manager)

    def test_click_everywhere_technician(self):
        self._crawl(self.technician)
