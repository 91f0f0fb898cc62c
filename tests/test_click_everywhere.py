"""Every screen of the app opens: Odoo's own crawler (clickbot) on the addon's menus, per role.

The crawler clicks each menu of the app, each filter of each search view and each view switcher, and fails on
the first error dialog (a view that does not load, an action whose context does not evaluate...). One test per
top-level section of the app so that each stays short; the sections are read from the menus the user sees.
"""

import json
import logging

from odoo.tests import HttpCase
from odoo.tests import new_test_user
from odoo.tests import tagged

_logger = logging.getLogger(__name__)

ROOT_MENU = "itsm_service_contract.menu_itsm_root"
CRAWL = "odoo.loader.modules.get('@web/webclient/clickbot/clickbot_loader').startClickEverywhere(%s, false, %s);"


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
        """The top-level sections of the app as the user sees them (menu id, name), in the navbar's order."""
        menus = self.env["ir.ui.menu"].with_user(user).load_menus(False)
        root = self.env.ref(ROOT_MENU)
        return [(child, menus[child]["name"]) for child in menus[root.id]["children"]]

    def _crawl_section(self, user, index):
        """Crawl the app starting at its ``index``-th top-level section, up to the end of that section.

        The crawler keeps its progress in a state; starting it with the app already open and the section
        index set makes it walk from that section on. The navbar is reduced to that one section so that a
        test covers one section only.
        """
        root = self.env.ref(ROOT_MENU)
        state = {
            "light": False,
            "studioCount": 0,
            "testedApps": [ROOT_MENU],
            "testedMenus": [],
            "testedFilters": 0,
            "testedModals": 0,
            "appIndex": 0,
            "menuIndex": index,
            "subMenuIndex": 0,
            "app": ROOT_MENU,
        }
        # keep the single section: the others are removed from the navbar before the crawl starts
        code = (
            "const sections = document.querySelectorAll("
            "'.o_menu_sections > .dropdown-toggle, .o_menu_sections > .dropdown-item');"
            f"sections.forEach((el, i) => {{ if (i !== {index}) el.remove(); }});"
            + CRAWL
            % (json.dumps(ROOT_MENU), json.dumps({**state, "menuIndex": 0}))
        )
        self.browser_js(
            f"/odoo?menu_id={root.id}",
            code,
            "odoo.isReady === true && document.querySelector('.o_menu_sections') !== null",
            login=user.login,
            timeout=120,
            success_signal="clickbot test succeeded",
        )

    def _crawl_all(self, user):
        sections = self._sections(user)
        self.assertTrue(sections, f"{user.login} sees no menu in the app")
        for index, (_menu_id, name) in enumerate(sections):
            with self.subTest(user=user.login, section=name):
                _logger.info("crawling %s as %s", name, user.login)
                self._crawl_section(user, index)

    def test_click_everywhere_account_manager(self):
        self.browser_js(
            "/odoo",
            CRAWL % (json.dumps(ROOT_MENU), "undefined"),
            "odoo.isReady === true",
            login=self.manager.login,
            timeout=300,
            success_signal="clickbot test succeeded",
        )

    def test_click_everywhere_technician(self):
        self._crawl_all(self.technician)
