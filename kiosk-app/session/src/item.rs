//! The item page: an item put together (options within their limits, set steps, quantity)
//! and added to the cart.

use std::collections::BTreeMap;

use kiosk_domain::{CartError, Choices, ItemId, Lang, Menu, OptionId, Pick, PricedLine, Selection};

use crate::flow::Flow;
use crate::messages::Now;
use crate::stage::{Editor, OptionKey, Stage};
use crate::words;

impl Flow {
    pub(crate) fn open_item(&mut self, id: &ItemId) {
        let Some(item) = self.menu.item(id) else { return };
        // Sold out, or not on sale at this hour: the grid shows it greyed, with when it is.
        if item.sold_out || self.local.is_some_and(|at| !self.menu.is_available(item, at)) {
            return;
        }
        self.stage = Stage::Item(Editor {
            item: id.clone(),
            choices: Choices::new(),
            set_choices: BTreeMap::new(),
            quantity: 1,
            note: None,
            problem: None,
        });
    }

    pub(crate) fn set_quantity(&mut self, quantity: u32) {
        if let Stage::Item(e) = &mut self.stage {
            e.quantity = quantity.clamp(1, 99);
            e.problem = None;
        }
    }

    pub(crate) fn toggle(&mut self, key: &OptionKey, option: &str) {
        let menu = self.menu.clone();
        let lang = self.lang;
        let Stage::Item(editor) = &mut self.stage else { return };
        editor.problem = None;
        match key {
            OptionKey::Step(step) => {
                editor.set_choices.insert(step.clone(), ItemId(option.to_owned()));
            }
            OptionKey::Group(group) => {
                let Some(g) = menu.group(group) else { return };
                let picks = editor.choices.entry(group.clone()).or_default();
                if let Some(at) = picks.iter().position(|p| p.option.0 == option) {
                    picks.remove(at);
                } else if g.max == 1 {
                    *picks = vec![Pick::plain(option)];
                } else if (picks.len() as u32) < g.max {
                    picks.push(Pick::plain(option));
                } else {
                    editor.problem = Some(words::too_many(g.name.get(lang), g.max, lang));
                }
                if picks.is_empty() {
                    editor.choices.remove(group);
                }
            }
            OptionKey::Nested { parent, option: parent_option, group } => {
                let Some(g) = menu.group(group) else { return };
                let Some(pick) = editor
                    .choices
                    .get_mut(parent)
                    .and_then(|picks| picks.iter_mut().find(|p| &p.option == parent_option))
                else {
                    return;
                };
                let picks = pick.nested.entry(group.clone()).or_default();
                if let Some(at) = picks.iter().position(|p| p.0 == option) {
                    picks.remove(at);
                } else if g.max == 1 {
                    *picks = vec![OptionId(option.to_owned())];
                } else if (picks.len() as u32) < g.max {
                    picks.push(OptionId(option.to_owned()));
                } else {
                    editor.problem = Some(words::too_many(g.name.get(lang), g.max, lang));
                }
                if picks.is_empty() {
                    pick.nested.remove(group);
                }
            }
        }
    }

    pub(crate) fn add_to_cart(&mut self, now: Now) {
        let Stage::Item(editor) = &mut self.stage else { return };
        let added = editor.item.clone();
        match self.cart.add(&self.menu, selection(editor), now.local) {
            Ok(_) => {
                self.stage = Stage::Browsing;
                self.suggest_after(&added);
            }
            Err(e) => {
                let (menu, lang) = (&self.menu, self.lang);
                editor.problem = Some(words::cart_problem(&e, |name| localized(menu, name, lang), lang));
            }
        }
    }

    /// Prices the current selection for the item page's "add" button.
    pub fn editor_price(&self) -> Option<Result<PricedLine, CartError>> {
        Some(self.menu.price(&selection(self.editor()?), None))
    }
}

fn selection(e: &Editor) -> Selection {
    Selection {
        item: e.item.clone(),
        options: e.choices.clone(),
        set_choices: e.set_choices.clone(),
        quantity: e.quantity,
        note: e.note.clone(),
    }
}

/// The domain names things in one language; find the name in the customer's.
fn localized(menu: &Menu, name: &str, lang: Lang) -> String {
    let texts = menu.option_groups.iter().map(|g| &g.name).chain(menu.items.iter().map(|i| &i.name)).chain(
        menu.items.iter().filter_map(|i| i.set.as_ref()).flat_map(|s| s.steps.iter().map(|st| &st.name)),
    );
    for text in texts {
        if text.0.values().any(|v| v == name) {
            return text.get(lang).to_owned();
        }
    }
    name.to_owned()
}
