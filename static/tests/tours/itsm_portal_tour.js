/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * A client opens the portal, goes to a service contract and downloads its statement.
 */
registry.category("web_tour.tours").add("itsm_portal_contract_tour", {
    url: "/my",
    steps: () => [
        {
            content: "Open the service contracts from the portal home",
            trigger: 'a[href="/my/contracts"]',
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Open the contract",
            trigger: 'table a[href*="/my/contracts/"]',
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "The balance gauge is shown",
            trigger: ".itsm_portal_balance:contains(h)",
        },
        {
            content: "Download the statement",
            trigger: 'a[href*="/my/statements/"]',
            async run() {
                const response = await fetch(this.anchor.getAttribute("href"));
                const disposition = response.headers.get("Content-Disposition") || "";
                if (!response.ok || !disposition.includes("attachment")) {
                    throw new Error(`Statement download failed: ${response.status} ${disposition}`);
                }
                const body = await response.text();
                if (!body.length) {
                    throw new Error("The statement is empty");
                }
                document.body.classList.add("itsm_statement_downloaded");
            },
        },
        {
            content: "The statement was received",
            trigger: "body.itsm_statement_downloaded",
        },
    ],
});
