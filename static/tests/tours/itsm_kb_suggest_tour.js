/** @odoo-module **/

import { registry } from "@web/core/registry";

/**
 * A client types the subject of a new ticket: the published scenarios that match are offered as they type.
 */
registry.category("web_tour.tours").add("itsm_kb_suggest_tour", {
    url: "/new/ticket",
    steps: () => [
        {
            content: "No suggestion before typing",
            trigger: ".itsm-kb-live .itsm-kb-suggestions.d-none:not(:visible)",
        },
        {
            content: "Type the subject of the new ticket",
            trigger: "input[name='subject']",
            run: "edit Mon imprimante est hors ligne",
        },
        {
            content: "The published scenario is offered while typing",
            trigger: ".itsm-kb-suggestions:not(.d-none) a:contains(Imprimante réseau hors ligne)",
        },
        {
            content: "A subject about something else: the suggestions go",
            trigger: "input[name='subject']",
            run: "edit Le serveur de fichiers ne démarre plus",
        },
        {
            content: "Nothing offered for the server",
            trigger: ".itsm-kb-live .itsm-kb-suggestions.d-none:not(:visible)",
        },
    ],
});
