/** @odoo-module **/
// Portal new-ticket form: the published resolution scenarios matching what the client types in the subject,
// asked to /my/itsm/kb/suggest once the typing pauses.

import publicWidget from "@web/legacy/js/public/public_widget";
import { debounce } from "@web/core/utils/timing";

export const ITSM_KB_SUGGEST_DELAY = 400; // ms after the last key stroke
export const ITSM_KB_SUGGEST_MIN_CHARS = 4;

publicWidget.registry.ItsmKbSuggest = publicWidget.Widget.extend({
    selector: ".itsm-kb-live",

    start() {
        this.subject = this.el.closest("form")?.querySelector("input[name='subject']");
        this.box = this.el.querySelector(".itsm-kb-suggestions");
        this.list = this.box?.querySelector("ul");
        this.lastQuery = null;
        if (this.subject && this.box && this.list) {
            this.onInput = debounce(() => this.suggest(), ITSM_KB_SUGGEST_DELAY);
            this.subject.addEventListener("input", this.onInput);
        }
        return this._super(...arguments);
    },

    destroy() {
        if (this.subject && this.onInput) {
            this.subject.removeEventListener("input", this.onInput);
        }
        this._super(...arguments);
    },

    async suggest() {
        const query = this.subject.value.trim();
        if (query === this.lastQuery) {
            return;
        }
        this.lastQuery = query;
        if (query.length < ITSM_KB_SUGGEST_MIN_CHARS) {
            this.show([]);
            return;
        }
        const url = `${this.el.dataset.url}?q=${encodeURIComponent(query)}`;
        let pages = [];
        try {
            const response = await fetch(url, { credentials: "same-origin" });
            pages = response.ok ? await response.json() : [];
        } catch {
            pages = [];
        }
        if (query === this.lastQuery) {
            this.show(pages);
        }
    },

    show(pages) {
        this.list.replaceChildren(
            ...pages.map((page) => {
                const item = document.createElement("li");
                const link = document.createElement("a");
                link.href = page.url;
                link.target = "_blank";
                link.textContent = page.title;
                item.appendChild(link);
                return item;
            })
        );
        this.box.classList.toggle("d-none", !pages.length);
    },
});
