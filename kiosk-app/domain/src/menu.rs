//! The menu: categories, items, shared option groups (one nested level), set menus,
//! sold-out state, time-of-day availability, tags and allergens, images, translations.
//!
//! A [`Menu`] is plain data (it deserializes from the JSON menu file and the POS) and is only
//! trusted after [`Menu::validate`] has found nothing wrong with it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::money::{Currency, Money, VatRate};
use crate::schedule::{self, LocalTime, Window};
use crate::text::{Lang, Text};

/// Largest price or price delta a menu may hold, in minor units. With the cart limits this
/// keeps every order total far inside `i64`.
pub const MAX_PRICE: i64 = 1_000_000_000_000;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_owned())
            }
        }
    };
}

id_type!(
    /// A category's id, stable across menu versions.
    CategoryId
);
id_type!(
    /// An item's id (the POS's product code), stable across menu versions.
    ItemId
);
id_type!(
    /// An option group's id.
    GroupId
);
id_type!(
    /// An option's id, unique within its group.
    OptionId
);
id_type!(
    /// A set-menu step's id, unique within its set.
    StepId
);
id_type!(
    /// A request preset's id (요청사항 such as "덜 맵게").
    NoteId
);
id_type!(
    /// A suggestion's id (함께 드시면 좋아요), as the daily close counts its answers.
    SuggestionId
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Menu {
    /// Version or ETag given by the POS or the menu file; unchanged version, unchanged menu.
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub currency: Currency,
    /// VAT rate in basis points; the currency's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vat_rate: Option<VatRate>,
    /// Languages every customer-visible string must carry; `ko` and `en` at least.
    #[serde(default = "default_languages")]
    pub languages: Vec<Lang>,
    pub categories: Vec<Category>,
    pub items: Vec<Item>,
    #[serde(default)]
    pub option_groups: Vec<OptionGroup>,
    /// Requests the customer can pick with a tap (요청사항), besides writing their own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub note_presets: Vec<NotePreset>,
    /// Pairings suggested once an item is in the cart (함께 드시면 좋아요).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<Suggestion>,
    /// The store's stamp programme (적립), if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stamps: Option<crate::stamps::StampProgram>,
}

/// A pairing the kiosk suggests, never insisting: after one of `after` is added to the
/// cart, `offer` (a dessert with a drink, the set of a burger).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suggestion {
    pub id: SuggestionId,
    pub after: Vec<ItemId>,
    pub offer: ItemId,
}

/// A suggestion the customer answered while an order was put together, and whether its
/// offer is in the order (`accepted`). The store counts them per business day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuggestionAnswer {
    pub id: SuggestionId,
    pub accepted: bool,
}

/// A request the customer can pick: on an item ("덜 맵게", "얼음 적게") or on the order as a
/// whole ("포크 2개", "수저 빼주세요").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotePreset {
    pub id: NoteId,
    pub text: Text,
    #[serde(default)]
    pub scope: NoteScope,
    /// An item preset is offered on items of these categories; on every item when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<CategoryId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteScope {
    #[default]
    Item,
    Order,
}

fn default_languages() -> Vec<Lang> {
    Lang::REQUIRED.to_vec()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub id: CategoryId,
    pub name: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub availability: Vec<Window>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub id: ItemId,
    pub category: CategoryId,
    pub name: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    /// VAT-inclusive price; for a set, the price of the whole set.
    pub price: Money,
    /// Image file name or URL, resolved by the UI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allergens: Vec<Allergen>,
    /// Option groups offered with this item, by id, in display order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub option_groups: Vec<GroupId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<SetMenu>,
    #[serde(default)]
    pub sold_out: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub availability: Vec<Window>,
    /// Most of this item one order may hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_per_order: Option<u32>,
    /// EAN/UPC or store barcode that adds this item when scanned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub barcode: Option<String>,
}

/// A set: the item's own price buys the base item plus one choice at each step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetMenu {
    pub base: ItemId,
    pub steps: Vec<SetStep>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetStep {
    pub id: StepId,
    pub name: Text,
    pub choices: Vec<SetChoice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetChoice {
    pub item: ItemId,
    /// Upgrade charge over the set price (e.g. large fries +500).
    #[serde(default)]
    pub price_delta: Money,
}

/// Choices offered with items. `min >= 1` makes the group required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OptionGroup {
    pub id: GroupId,
    pub name: Text,
    #[serde(default)]
    pub min: u32,
    pub max: u32,
    pub options: Vec<MenuOption>,
}

impl OptionGroup {
    pub fn required(&self) -> bool {
        self.min > 0
    }

    pub fn option(&self, id: &OptionId) -> Option<&MenuOption> {
        self.options.iter().find(|o| &o.id == id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MenuOption {
    pub id: OptionId,
    pub name: Text,
    /// Added to the item price; may be negative ("no side −500").
    #[serde(default)]
    pub price_delta: Money,
    #[serde(default)]
    pub sold_out: bool,
    /// Groups offered once this option is picked ("Sauce" under "Add fries"). One level only:
    /// options in these groups may not open groups of their own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub option_groups: Vec<GroupId>,
}

/// Display tags on an item card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tag {
    New,
    Best,
    Recommended,
    Spicy,
    Vegetarian,
    Vegan,
    Halal,
}

/// The allergens Korean food labelling requires to be shown (식품 등의 표시기준).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Allergen {
    Egg,
    Milk,
    Buckwheat,
    Peanut,
    Soybean,
    Wheat,
    Mackerel,
    Crab,
    Shrimp,
    Pork,
    Peach,
    Tomato,
    Sulfites,
    Walnut,
    Chicken,
    Beef,
    Squid,
    Shellfish,
    PineNut,
}

impl Allergen {
    pub fn label(self, lang: Lang) -> &'static str {
        let (ko, en) = match self {
            Allergen::Egg => ("난류", "Egg"),
            Allergen::Milk => ("우유", "Milk"),
            Allergen::Buckwheat => ("메밀", "Buckwheat"),
            Allergen::Peanut => ("땅콩", "Peanut"),
            Allergen::Soybean => ("대두", "Soybean"),
            Allergen::Wheat => ("밀", "Wheat"),
            Allergen::Mackerel => ("고등어", "Mackerel"),
            Allergen::Crab => ("게", "Crab"),
            Allergen::Shrimp => ("새우", "Shrimp"),
            Allergen::Pork => ("돼지고기", "Pork"),
            Allergen::Peach => ("복숭아", "Peach"),
            Allergen::Tomato => ("토마토", "Tomato"),
            Allergen::Sulfites => ("아황산류", "Sulfites"),
            Allergen::Walnut => ("호두", "Walnut"),
            Allergen::Chicken => ("닭고기", "Chicken"),
            Allergen::Beef => ("쇠고기", "Beef"),
            Allergen::Squid => ("오징어", "Squid"),
            Allergen::Shellfish => ("조개류", "Shellfish"),
            Allergen::PineNut => ("잣", "Pine nut"),
        };
        if lang == Lang::Ko { ko } else { en }
    }
}

/// One thing wrong with a menu, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct MenuError {
    /// Where in the menu, e.g. `items[3] "bulgogi-burger".price`.
    pub path: String,
    pub message: String,
}

impl Menu {
    pub fn vat_rate(&self) -> VatRate {
        self.vat_rate.unwrap_or_else(|| self.currency.default_vat_rate())
    }

    pub fn item(&self, id: &ItemId) -> Option<&Item> {
        self.items.iter().find(|i| &i.id == id)
    }

    pub fn group(&self, id: &GroupId) -> Option<&OptionGroup> {
        self.option_groups.iter().find(|g| &g.id == id)
    }

    /// The name of what `path` names: a category's id, an item's id, or `group/option`.
    pub fn name_at(&self, path: &str) -> Option<&Text> {
        if let Some(c) = self.categories.iter().find(|c| c.id.0 == path) {
            return Some(&c.name);
        }
        if let Some(i) = self.items.iter().find(|i| i.id.0 == path) {
            return Some(&i.name);
        }
        let (group, option) = path.split_once('/')?;
        let g = self.option_groups.iter().find(|g| g.id.0 == group)?;
        g.options.iter().find(|o| o.id.0 == option).map(|o| &o.name)
    }

    pub fn item_by_barcode(&self, code: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.barcode.as_deref() == Some(code))
    }

    /// Marks an item sold out or back on sale; false when there is no such item.
    pub fn set_sold_out(&mut self, id: &ItemId, sold_out: bool) -> bool {
        match self.items.iter_mut().find(|i| &i.id == id) {
            Some(item) => {
                item.sold_out = sold_out;
                true
            }
            None => false,
        }
    }

    /// Whether the item (and its category) is on sale at `at`, ignoring sold-out.
    pub fn is_available(&self, item: &Item, at: LocalTime) -> bool {
        let category_open = self
            .categories
            .iter()
            .find(|c| c.id == item.category)
            .is_none_or(|c| schedule::available(&c.availability, at));
        category_open && schedule::available(&item.availability, at)
    }

    /// An item not on sale at `at` (by its windows or its category's): `Some` with the time
    /// it opens later today, if it does. `None` while it is on sale.
    pub fn closed_until(&self, item: &Item, at: LocalTime) -> Option<Option<schedule::TimeOfDay>> {
        if self.is_available(item, at) {
            return None;
        }
        let category = self.categories.iter().find(|c| c.id == item.category);
        let opens = |windows: &[Window]| {
            if schedule::available(windows, at) {
                Some(at.time)
            } else {
                schedule::opens_later_today(windows, at)
            }
        };
        // Both must be open: the later of the two openings (a closed one that does not open
        // again today keeps the item closed).
        let item_opens = opens(&item.availability);
        let category_opens = category.map_or(Some(at.time), |c| opens(&c.availability));
        Some(item_opens.zip(category_opens).map(|(a, b)| a.max(b)))
    }

    /// The request presets offered on `item`, in menu order.
    pub fn item_presets<'a>(&'a self, item: &'a Item) -> impl Iterator<Item = &'a NotePreset> {
        self.note_presets.iter().filter(move |p| {
            p.scope == NoteScope::Item && (p.categories.is_empty() || p.categories.contains(&item.category))
        })
    }

    /// The request presets offered on the order as a whole, in menu order.
    pub fn order_presets(&self) -> impl Iterator<Item = &NotePreset> {
        self.note_presets.iter().filter(|p| p.scope == NoteScope::Order)
    }

    /// The suggestion to make once `added` is in a cart holding `in_cart` (the items of its
    /// lines), at `at`: the first whose offer is on sale and not in the cart already, and not
    /// among `asked` (each is made once a session). A suggestion whose offer is unknown is
    /// never made (the checker warns of it).
    pub fn suggestion_after(
        &self,
        added: &ItemId,
        in_cart: &[&ItemId],
        asked: &[SuggestionId],
        at: Option<LocalTime>,
    ) -> Option<&Suggestion> {
        self.suggestions
            .iter()
            .find(|s| s.after.contains(added) && !asked.contains(&s.id) && self.may_suggest(s, in_cart, at))
    }

    /// `s` may be made now: its offer is on sale at `at` and not already in the cart.
    pub fn may_suggest(&self, s: &Suggestion, in_cart: &[&ItemId], at: Option<LocalTime>) -> bool {
        !in_cart.contains(&&s.offer)
            && self
                .item(&s.offer)
                .is_some_and(|i| !i.sold_out && at.is_none_or(|at| self.is_available(i, at)))
    }

    /// What is worth telling the menu's author without refusing the menu: suggestions that
    /// name an item the menu does not have (a POS menu that dropped an item keeps working;
    /// the suggestion is simply not made).
    pub fn warnings(&self) -> Vec<MenuError> {
        let mut out = Vec::new();
        for (i, s) in self.suggestions.iter().enumerate() {
            let path = format!("suggestions[{i}] \"{}\"", s.id);
            for (k, item) in s.after.iter().enumerate() {
                if self.item(item).is_none() {
                    out.push(MenuError {
                        path: format!("{path}.after[{k}]"),
                        message: format!("unknown item \"{item}\""),
                    });
                }
            }
            if self.item(&s.offer).is_none() {
                out.push(MenuError {
                    path: format!("{path}.offer"),
                    message: format!("unknown item \"{}\": never suggested", s.offer),
                });
            }
        }
        out
    }

    /// Items of a category in menu order.
    pub fn items_in<'a>(&'a self, category: &'a CategoryId) -> impl Iterator<Item = &'a Item> {
        self.items.iter().filter(move |i| &i.category == category)
    }

    /// Checks the whole menu and returns every problem found (empty when it is sound).
    pub fn validate(&self) -> Vec<MenuError> {
        let mut v = Validator { menu: self, errors: Vec::new() };
        v.run();
        v.errors
    }

    /// The lowest unit price any valid selection of `item` can have, or `None` when a group
    /// it uses does not exist (reported by [`Menu::validate`]).
    pub fn cheapest_price(&self, item: &Item) -> Option<i128> {
        let mut price = i128::from(item.price.0);
        for gid in &item.option_groups {
            price += self.cheapest_group(gid, true)?;
        }
        if let Some(set) = &item.set {
            for step in &set.steps {
                price += step.choices.iter().map(|c| i128::from(c.price_delta.0)).min()?;
            }
        }
        Some(price)
    }

    /// Cheapest total delta of a group: every negative option (up to `max`), topped up with
    /// the cheapest others to reach `min`.
    fn cheapest_group(&self, gid: &GroupId, allow_nested: bool) -> Option<i128> {
        let group = self.group(gid)?;
        let mut deltas = Vec::with_capacity(group.options.len());
        for o in &group.options {
            let mut d = i128::from(o.price_delta.0);
            if allow_nested {
                for nested in &o.option_groups {
                    d += self.cheapest_group(nested, false)?;
                }
            }
            deltas.push(d);
        }
        deltas.sort_unstable();
        let mut sum = 0;
        for (n, d) in deltas.into_iter().enumerate() {
            let n = n as u32;
            if n >= group.max || (n >= group.min && d >= 0) {
                break;
            }
            sum += d;
        }
        Some(sum)
    }
}

struct Validator<'a> {
    menu: &'a Menu,
    errors: Vec<MenuError>,
}

impl Validator<'_> {
    fn err(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.errors.push(MenuError { path: path.into(), message: message.into() });
    }

    fn text(&mut self, path: &str, text: &Text) {
        let missing = text.missing(&self.menu.languages);
        if !missing.is_empty() {
            let list: Vec<_> = missing.iter().map(|l| l.code()).collect();
            self.err(path, format!("missing translation: {}", list.join(", ")));
        }
    }

    fn price(&mut self, path: &str, amount: Money, allow_negative: bool) {
        if !allow_negative && amount.is_negative() {
            self.err(path, format!("price {amount} is negative"));
        } else if amount.0.unsigned_abs() > MAX_PRICE as u64 {
            self.err(path, format!("price {amount} is larger than {MAX_PRICE}"));
        }
    }

    fn windows(&mut self, path: &str, windows: &[Window]) {
        for (i, w) in windows.iter().enumerate() {
            if w.from == w.until {
                self.err(format!("{path}[{i}]"), "window is empty (from == until)");
            }
        }
    }

    fn unique<'k, K: Ord + fmt::Display + 'k>(
        &mut self,
        path: &str,
        ids: impl Iterator<Item = &'k K>,
    ) -> BTreeSet<&'k K> {
        let mut seen = BTreeSet::new();
        for (i, id) in ids.enumerate() {
            if !seen.insert(id) {
                self.err(format!("{path}[{i}].id"), format!("duplicate id \"{id}\""));
            }
        }
        seen
    }

    fn run(&mut self) {
        let menu = self.menu;
        for required in Lang::REQUIRED {
            if !menu.languages.contains(&required) {
                self.err("languages", format!("must include \"{required}\""));
            }
        }
        let categories = self.unique("categories", menu.categories.iter().map(|c| &c.id));
        let items = self.unique("items", menu.items.iter().map(|i| &i.id));
        let groups = self.unique("option_groups", menu.option_groups.iter().map(|g| &g.id));
        let mut barcodes = BTreeMap::new();

        for (i, c) in menu.categories.iter().enumerate() {
            let path = format!("categories[{i}] \"{}\"", c.id);
            self.text(&format!("{path}.name"), &c.name);
            self.windows(&format!("{path}.availability"), &c.availability);
        }

        for (gi, g) in menu.option_groups.iter().enumerate() {
            self.group(gi, g, &groups);
        }

        self.unique("note_presets", menu.note_presets.iter().map(|p| &p.id));
        for (pi, preset) in menu.note_presets.iter().enumerate() {
            let path = format!("note_presets[{pi}] \"{}\"", preset.id);
            self.text(&format!("{path}.text"), &preset.text);
            for (lang, text) in &preset.text.0 {
                if let Err(e) = crate::note::check_text(text) {
                    self.err(format!("{path}.text.{lang}"), e.to_string());
                }
            }
            if preset.scope == NoteScope::Order && !preset.categories.is_empty() {
                self.err(format!("{path}.categories"), "an order's preset is not offered by category");
            }
            for (k, c) in preset.categories.iter().enumerate() {
                if !categories.contains(c) {
                    self.err(format!("{path}.categories[{k}]"), format!("unknown category \"{c}\""));
                }
            }
        }
        self.unique("suggestions", menu.suggestions.iter().map(|s| &s.id));
        for (si, s) in menu.suggestions.iter().enumerate() {
            if s.after.contains(&s.offer) {
                self.err(
                    format!("suggestions[{si}] \"{}\".offer", s.id),
                    "an item is not suggested after itself",
                );
            }
            if s.after.is_empty() {
                self.err(format!("suggestions[{si}] \"{}\".after", s.id), "suggested after no item");
            }
        }
        if let Some(program) = &menu.stamps {
            for (path, message) in program.problems(menu) {
                self.err(path, message);
            }
        }
        // A note carries at most NOTE_MAX_PRESETS presets: no item or order offers more.
        let max = crate::note::NOTE_MAX_PRESETS;
        if menu.order_presets().count() > max {
            self.err("note_presets", format!("more than {max} presets are offered on the order"));
        }
        for c in &menu.categories {
            let offered = menu.note_presets.iter().filter(|p| {
                p.scope == NoteScope::Item && (p.categories.is_empty() || p.categories.contains(&c.id))
            });
            if offered.count() > max {
                self.err(
                    "note_presets",
                    format!("more than {max} presets are offered on items of \"{}\"", c.id),
                );
            }
        }

        for (ii, item) in menu.items.iter().enumerate() {
            let path = format!("items[{ii}] \"{}\"", item.id);
            if !categories.contains(&item.category) {
                self.err(format!("{path}.category"), format!("unknown category \"{}\"", item.category));
            }
            self.text(&format!("{path}.name"), &item.name);
            if let Some(d) = &item.description {
                self.text(&format!("{path}.description"), d);
            }
            self.price(&format!("{path}.price"), item.price, false);
            self.windows(&format!("{path}.availability"), &item.availability);
            if item.max_per_order == Some(0) {
                self.err(format!("{path}.max_per_order"), "must be at least 1");
            }
            if let Some(code) = &item.barcode
                && let Some(first) = barcodes.insert(code.as_str(), ii)
            {
                self.err(format!("{path}.barcode"), format!("barcode {code} is also on items[{first}]"));
            }
            let mut all_groups_known = true;
            for (k, gid) in item.option_groups.iter().enumerate() {
                if !groups.contains(gid) {
                    all_groups_known = false;
                    self.err(format!("{path}.option_groups[{k}]"), format!("unknown option group \"{gid}\""));
                }
            }
            if let Some(set) = &item.set {
                self.set(&path, item, set, &items);
            }
            // Only meaningful when the base price itself is sound (else already reported).
            if all_groups_known
                && !item.price.is_negative()
                && let Some(cheapest) = menu.cheapest_price(item)
                && cheapest < 0
            {
                self.err(
                    format!("{path}.price"),
                    format!("options can bring the price down to {cheapest}, below zero"),
                );
            }
        }
    }

    fn group(&mut self, gi: usize, g: &OptionGroup, groups: &BTreeSet<&GroupId>) {
        let menu = self.menu;
        let path = format!("option_groups[{gi}] \"{}\"", g.id);
        self.text(&format!("{path}.name"), &g.name);
        if g.max == 0 {
            self.err(format!("{path}.max"), "must be at least 1");
        }
        if g.min > g.max {
            self.err(format!("{path}.min"), format!("min {} is greater than max {}", g.min, g.max));
        }
        if g.options.is_empty() {
            self.err(format!("{path}.options"), "group has no options");
        } else if g.min as usize > g.options.len() {
            self.err(format!("{path}.min"), format!("min {} but only {} options", g.min, g.options.len()));
        }
        self.unique(&format!("{path}.options"), g.options.iter().map(|o| &o.id));
        for (oi, o) in g.options.iter().enumerate() {
            let opath = format!("{path}.options[{oi}] \"{}\"", o.id);
            self.text(&format!("{opath}.name"), &o.name);
            self.price(&format!("{opath}.price_delta"), o.price_delta, true);
            for (k, nested) in o.option_groups.iter().enumerate() {
                let npath = format!("{opath}.option_groups[{k}]");
                if nested == &g.id {
                    self.err(npath, "a group cannot nest itself");
                } else if !groups.contains(nested) {
                    self.err(npath, format!("unknown option group \"{nested}\""));
                } else if menu
                    .group(nested)
                    .is_some_and(|n| n.options.iter().any(|o| !o.option_groups.is_empty()))
                {
                    self.err(
                        npath,
                        format!("group \"{nested}\" nests further groups; only one nested level is allowed"),
                    );
                }
            }
        }
    }

    fn set(&mut self, path: &str, item: &Item, set: &SetMenu, items: &BTreeSet<&ItemId>) {
        let menu = self.menu;
        let refers_to = |id: &ItemId| -> Option<&'static str> {
            if id == &item.id {
                Some("a set cannot contain itself")
            } else if !items.contains(id) {
                Some("unknown item")
            } else if menu.item(id).is_some_and(|i| i.set.is_some()) {
                Some("a set cannot contain another set")
            } else {
                None
            }
        };
        if let Some(problem) = refers_to(&set.base) {
            self.err(format!("{path}.set.base"), format!("{problem} \"{}\"", set.base));
        }
        if set.steps.is_empty() {
            self.err(format!("{path}.set.steps"), "set has no steps");
        }
        self.unique(&format!("{path}.set.steps"), set.steps.iter().map(|s| &s.id));
        for (si, step) in set.steps.iter().enumerate() {
            let spath = format!("{path}.set.steps[{si}] \"{}\"", step.id);
            self.text(&format!("{spath}.name"), &step.name);
            if step.choices.is_empty() {
                self.err(format!("{spath}.choices"), "step has no choices");
            }
            for (ci, choice) in step.choices.iter().enumerate() {
                let cpath = format!("{spath}.choices[{ci}]");
                if let Some(problem) = refers_to(&choice.item) {
                    self.err(format!("{cpath}.item"), format!("{problem} \"{}\"", choice.item));
                }
                self.price(&format!("{cpath}.price_delta"), choice.price_delta, true);
            }
        }
    }
}
