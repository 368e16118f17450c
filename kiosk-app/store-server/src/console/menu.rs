//! The menu as the owner edits it: categories, items (names, price, category, station,
//! option groups, set prices, hours, photo), option groups, stations and their printers,
//! and whether unpaid counter orders wait before the kitchen sees them. Sold-out marks are
//! the counter's to toggle. Every change is checked by the same rules devices check a menu
//! with; a problem is shown at the field it concerns. A saved change reaches every device
//! through the update stream at once.

use std::collections::BTreeMap;

use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kiosk_clock::unix_now_ms;
use kiosk_domain::{
    CategoryId, GroupId, Item, ItemId, Lang as MenuLang, Menu, MenuOption, Money, NoteId, NotePreset,
    NoteScope, OptionGroup, OptionId, Text, Window, schedule::Weekday,
};
use maud::{Markup, html};

use super::auth::Staff;
use super::page::{Page, wants_fragment, won};
use super::words::Words;
use crate::AppState;
use crate::db::console::Permission;
use crate::db::kitchen::Station;
use crate::db::{DbError, ServerDb};

/// The size photos are scaled and cropped to: the item cards and the attract screen draw
/// them at 4:3, at most this large on the devices' screens.
pub const PHOTO_SIZE: (u32, u32) = (480, 360);
/// The largest photo file taken (a phone's JPEG).
pub const PHOTO_MAX_BYTES: usize = 12 * 1024 * 1024;

/// Problems with a form, by field name (`""`: the form as a whole).
type Problems = BTreeMap<String, String>;

/// A form's fields as posted (text fields, repeated ones in order) and its file.
#[derive(Default)]
struct Posted {
    fields: BTreeMap<String, Vec<String>>,
    photo: Option<Vec<u8>>,
}

impl Posted {
    fn get(&self, name: &str) -> &str {
        self.fields.get(name).and_then(|v| v.first()).map(String::as_str).unwrap_or("")
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.fields.get(name).cloned().unwrap_or_default()
    }

    fn checked(&self, name: &str) -> bool {
        !self.get(name).is_empty()
    }

    async fn read(mut form: Multipart) -> Result<Posted, (StatusCode, String)> {
        let mut posted = Posted::default();
        let failed = |e: axum::extract::multipart::MultipartError| (e.status(), e.body_text());
        while let Some(field) = form.next_field().await.map_err(failed)? {
            let name = field.name().unwrap_or("").to_owned();
            if name == "photo" {
                let bytes = field.bytes().await.map_err(failed)?;
                if !bytes.is_empty() {
                    posted.photo = Some(bytes.to_vec());
                }
            } else {
                let text = field.text().await.map_err(failed)?;
                posted.fields.entry(name).or_default().push(text);
            }
        }
        Ok(posted)
    }
}

fn text_of(t: &Text, lang: MenuLang) -> &str {
    t.0.get(&lang).map(String::as_str).unwrap_or("")
}

/// Sets the Korean and English names from `ko`/`en` fields (both required), and the Chinese
/// and Japanese ones from `zh`/`ja` fields when the form has them (optional: an empty one is
/// removed, and the kiosk shows the English); a language the form does not post is kept.
fn set_text(t: &mut Text, posted: &Posted, prefix: &str, problems: &mut Problems, w: &Words) {
    for lang in [MenuLang::Ko, MenuLang::En, MenuLang::Zh, MenuLang::Ja] {
        let field = format!("{prefix}_{}", lang.code());
        let required = matches!(lang, MenuLang::Ko | MenuLang::En);
        if !required && !posted.fields.contains_key(&field) {
            continue;
        }
        let value = posted.get(&field).trim().to_owned();
        if value.is_empty() && required {
            problems.insert(field, w.required.into());
        } else if value.is_empty() {
            t.0.remove(&lang);
        } else if value.chars().count() > 60 {
            problems.insert(field, w.too_long.into());
        } else {
            t.0.insert(lang, value);
        }
    }
}

/// The fields of a text in the four languages (`{prefix}_ko`, `_en`, `_zh`, `_ja`), as posted
/// or as `text` has them.
fn names(w: &Words, p: Option<&Posted>, prefix: &str, text: Option<&Text>, problems: &Problems) -> Markup {
    let labels = [
        (MenuLang::Ko, w.name_ko),
        (MenuLang::En, w.name_en),
        (MenuLang::Zh, w.name_zh),
        (MenuLang::Ja, w.name_ja),
    ];
    html! {
        @for (lang, label) in labels {
            @let name = format!("{prefix}_{}", lang.code());
            (field(label, &name, &value(p, &name, text.map_or("", |t| text_of(t, lang))), problems, FieldKind::Text))
        }
    }
}

/// A row of a list form (`{prefix}N_…` fields, N from 0): one already there, by its index,
/// or the new one past them, with its id.
enum Row {
    Kept(usize),
    New(String),
}

/// The rows of a list form whose rows have the ids `existing`, numbered as posted: removed
/// ones (`{prefix}N_remove`) left out, and the new row (N = the number of rows) left out when
/// its id and Korean text are both empty; a new row's id is checked (a problem at
/// `{prefix}N_id` when it is malformed or taken).
fn posted_rows(
    posted: &Posted,
    prefix: &str,
    existing: &[&str],
    problems: &mut Problems,
    w: &Words,
) -> Vec<(usize, Row)> {
    let mut rows = Vec::new();
    for n in 0..=existing.len() {
        if posted.checked(&format!("{prefix}{n}_remove")) {
            continue;
        }
        if n < existing.len() {
            rows.push((n, Row::Kept(n)));
            continue;
        }
        let id = posted.get(&format!("{prefix}{n}_id")).trim().to_owned();
        if id.is_empty() && posted.get(&format!("{prefix}{n}_ko")).trim().is_empty() {
            continue;
        }
        if !valid_id(&id) {
            problems.insert(format!("{prefix}{n}_id"), w.id_invalid.into());
        } else if existing.contains(&id.as_str()) {
            problems.insert(format!("{prefix}{n}_id"), w.id_taken.into());
        }
        rows.push((n, Row::New(id)));
    }
    rows
}

fn parse_won(raw: &str) -> Option<i64> {
    let digits = super::page::won_digits(raw);
    let sign = if digits.starts_with('-') { -1 } else { 1 };
    let n: i64 = digits.trim_start_matches(['-', '+']).parse().ok()?;
    (n <= 10_000_000).then_some(sign * n)
}

fn valid_id(id: &str) -> bool {
    (1..=40).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// "mon tue 11:00-14:00; 17:00-21:00": windows separated by `;`, days optional.
pub fn parse_windows(raw: &str) -> Result<Vec<Window>, String> {
    let mut out = Vec::new();
    for part in raw.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let mut words: Vec<&str> = part.split_whitespace().collect();
        let span = words.pop().unwrap_or("");
        let (from, until) = span.split_once('-').ok_or_else(|| format!("\"{part}\": HH:MM-HH:MM"))?;
        let mut days = Vec::new();
        for d in words {
            let day = Weekday::ALL
                .iter()
                .find(|w| format!("{w:?}").eq_ignore_ascii_case(d))
                .ok_or_else(|| format!("\"{d}\" is not a day (mon … sun)"))?;
            days.push(*day);
        }
        out.push(Window { days, from: from.trim().parse()?, until: until.trim().parse()? });
    }
    Ok(out)
}

pub fn windows_text(windows: &[Window]) -> String {
    windows
        .iter()
        .map(|w| {
            let days: Vec<String> = w.days.iter().map(|d| format!("{d:?}").to_lowercase()).collect();
            let span = format!("{}-{}", w.from, w.until);
            if days.is_empty() { span } else { format!("{} {span}", days.join(" ")) }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Scales and crops an uploaded photo (JPEG or PNG) to [`PHOTO_SIZE`] and encodes it as PNG.
pub fn prepare_photo(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let picture = image::load_from_memory(bytes).map_err(|e| format!("not a JPEG or PNG picture ({e})"))?;
    let (w, h) = PHOTO_SIZE;
    let scaled = picture.resize_to_fill(w, h, image::imageops::FilterType::Triangle).to_rgba8();
    let mut png = Vec::new();
    image::DynamicImage::ImageRgba8(scaled)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| e.to_string())?;
    Ok(png)
}

/// Maps the menu checker's problems for the thing at `path` (e.g. `items[3] "latte"`) to
/// the form's fields; the rest belong to the form as a whole.
fn checker_problems(menu: &Menu, path: &str, problems: &mut Problems) {
    for p in menu.validate() {
        let field = match p.path.strip_prefix(path) {
            Some(rest) => {
                let rest = rest.trim_start_matches('.');
                let key = rest.split(['.', '[']).next().unwrap_or("");
                match key {
                    "name" => "name_ko",
                    "price" => "price",
                    "category" => "category",
                    "option_groups" => "groups",
                    "availability" => "availability",
                    "set" => "set",
                    "min" | "max" | "options" => key,
                    _ => "",
                }
            }
            None => "",
        };
        problems.entry(field.to_owned()).or_insert_with(|| p.to_string());
    }
}

type Loaded = (Menu, Vec<Station>, crate::db::kitchen::Assignments, bool, Vec<String>);

async fn load(state: &AppState) -> Result<Loaded, crate::ApiError> {
    crate::run(state, |db| {
        let menu = db.current_menu()?.unwrap_or_else(empty_menu);
        let sold_out = menu.items.iter().filter(|i| i.sold_out).map(|i| i.id.0.clone()).collect();
        Ok((menu, db.stations()?, db.station_assignments()?, db.hold_unpaid()?, sold_out))
    })
    .await
}

/// Refused unless the staff member may edit the menu and the form carries the session's
/// token (its `csrf` field, or the `X-CSRF-Token` header without one).
fn edit_refused(staff: &Staff, headers: &HeaderMap, posted: &Posted) -> Option<Response> {
    staff.refused_change(Permission::EditMenu, headers, Some(posted.get("csrf")).filter(|c| !c.is_empty()))
}

/// Above a form: what is wrong with it as a whole, or that it was saved.
fn form_notes(w: &Words, problems: &Problems, saved: bool) -> Markup {
    html! {
        @if let Some(general) = problems.get("") { p class="problem" role="alert" { (general) } }
        @if saved { p class="done" role="status" { (w.saved) } }
    }
}

/// A form's page: 200, or 422 when it is shown again with its problems.
fn form_page(page: Page<'_>, problems: &Problems, main: Markup) -> Response {
    let status = if problems.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    (status, page.render(main)).into_response()
}

fn not_found(what: String) -> Response {
    crate::ApiError::from(DbError::NotFound(what)).into_response()
}

fn empty_menu() -> Menu {
    serde_json::from_str(r#"{"categories": [], "items": []}"#).expect("an empty menu parses")
}

/// One labelled field with its problem (if any) said beside it and announced with it.
fn field(label: &str, name: &str, value: &str, problems: &Problems, attrs: FieldKind) -> Markup {
    scoped_field("", label, name, value, problems, attrs)
}

/// A field in one of several forms on a page: its id carries the form's `scope`.
fn scoped_field(
    scope: &str,
    label: &str,
    name: &str,
    value: &str,
    problems: &Problems,
    attrs: FieldKind,
) -> Markup {
    let problem = problems.get(name);
    let id = if scope.is_empty() { format!("f-{name}") } else { format!("f-{scope}-{name}") };
    let described = format!("{id}-problem");
    html! {
        div class={ "field" @if problem.is_some() { " invalid" } } {
            label for=(id) { (label) }
            @match attrs {
                FieldKind::Text => input id=(id) name=(name) value=(value) aria-invalid=[problem.map(|_| "true")] aria-describedby=[problem.map(|_| described.as_str())];
                FieldKind::Number => input id=(id) name=(name) value=(value) inputmode="numeric" aria-invalid=[problem.map(|_| "true")] aria-describedby=[problem.map(|_| described.as_str())];
            }
            @if let Some(p) = problem { p class="problem" id=(described) { (p) } }
        }
    }
}

#[derive(Clone, Copy)]
enum FieldKind {
    Text,
    Number,
}

fn value<'a>(posted: Option<&'a Posted>, name: &str, current: &'a str) -> String {
    match posted {
        Some(p) if p.fields.contains_key(name) => p.get(name).to_owned(),
        _ => current.to_owned(),
    }
}

fn station_select(w: &Words, name: &str, stations: &[Station], current: Option<&str>, none: &str) -> Markup {
    html! {
        div class="field" {
            label for={ "f-" (name) } { (w.station) }
            select id={ "f-" (name) } name=(name) {
                option value="" selected[current.is_none()] { (none) }
                @for s in stations {
                    option value=(s.id) selected[current == Some(s.id.as_str())] { (s.name) }
                }
            }
        }
    }
}

/// Saves a changed menu (after `also`, in the same turn on the database), audits it and
/// tells the devices at once; then on to `to`.
async fn save_menu(
    state: &AppState,
    staff: &Staff,
    menu: Menu,
    action: &str,
    what: String,
    also: impl FnOnce(&mut ServerDb) -> Result<(), DbError> + Send + 'static,
    to: String,
) -> Response {
    let (member, action) = (staff.member.clone(), action.to_owned());
    let saved = crate::run(state, move |db| {
        also(db)?;
        let version = db.save_edited_menu(menu)?;
        db.audit(Some(&member), "", &action, &format!("{what} → {version}"), unix_now_ms())
    })
    .await;
    match saved {
        Ok(()) => {
            state.announce_now().await;
            state.wake_kitchen();
            Redirect::to(&to).into_response()
        }
        Err(e) => e.into_response(),
    }
}

// --- the menu page --------------------------------------------------------------------------

pub async fn menu_page(State(state): State<AppState>, staff: Staff, headers: HeaderMap) -> Response {
    if let Some(r) = staff.refused(Permission::Store) {
        return r;
    }
    let (menu, stations, assignments, hold, _) = match load(&state).await {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let w = Words::of(staff.lang);
    let lang = staff.lang.menu();
    let owner = staff.member.role.may(Permission::EditMenu);
    let page = Page::new(w.menu, &staff).at("/console/menu").live("/console/events");
    let station_name =
        |id: &str| stations.iter().find(|s| s.id == id).map(|s| s.name.clone()).unwrap_or_default();
    let main = html! {
        @for c in &menu.categories {
            section class="menu-category" aria-labelledby={ "c-" (c.id.0) } {
                h2 id={ "c-" (c.id.0) } { (c.name.get(lang))
                    @if let Some(s) = assignments.categories.get(&c.id.0) { " " span class="tag" { (station_name(s)) } }
                    @if owner { " " a class="edit" href={ "/console/menu/categories/" (c.id.0) } { (w.edit) span class="sr" { " " (c.name.get(lang)) } } }
                }
                ul class="menu-items" {
                    @for i in menu.items_in(&c.id) {
                        li class={ "menu-item" @if i.sold_out { " sold-out" } } data-item=(i.id.0) {
                            @if let Some(photo) = &i.image { img src={ "/console/photos/" (photo) } alt="" width="96" height="72"; }
                            span class="name" { (i.name.get(lang)) }
                            span class="price" { (won(i.price.0)) }
                            @if let Some(s) = assignments.items.get(&i.id.0) { span class="tag" { (station_name(s)) } }
                            @if i.sold_out { span class="badge" { (w.sold_out) } }
                            (page.form(&format!("/console/menu/items/{}/sold-out", i.id.0), "inline", html! {
                                input type="hidden" name="sold_out" value=(if i.sold_out { "0" } else { "1" });
                                button type="submit" { (if i.sold_out { w.back_on_sale } else { w.mark_sold_out }) span class="sr" { " " (i.name.get(lang)) } }
                            }))
                            @if owner { a class="edit" href={ "/console/menu/items/" (i.id.0) } { (w.edit) span class="sr" { " " (i.name.get(lang)) } } }
                        }
                    }
                }
            }
        }
        @if owner {
            section aria-labelledby="add-item" {
                h2 id="add-item" { (w.add_item) }
                (page.form("/console/menu/items", "grid", html! {
                    (scoped_field("item", w.item_id, "id", "", &Problems::new(), FieldKind::Text))
                    (scoped_field("item", w.name_ko, "name_ko", "", &Problems::new(), FieldKind::Text))
                    (scoped_field("item", w.name_en, "name_en", "", &Problems::new(), FieldKind::Text))
                    (scoped_field("item", w.price, "price", "", &Problems::new(), FieldKind::Number))
                    div class="field" {
                        label for="f-item-category" { (w.category) }
                        select id="f-item-category" name="category" {
                            @for c in &menu.categories { option value=(c.id.0) { (c.name.get(lang)) } }
                        }
                    }
                    button type="submit" class="primary" { (w.add_item) }
                }))
            }
            section aria-labelledby="groups" {
                h2 id="groups" { (w.option_groups) }
                ul {
                    @for g in &menu.option_groups {
                        li { a href={ "/console/menu/groups/" (g.id.0) } { (g.name.get(lang)) } " · " (g.options.len()) }
                    }
                }
            }
            section aria-labelledby="requests" {
                h2 id="requests" { (w.requests) }
                ul {
                    @for r in &menu.note_presets {
                        li { (r.text.get(lang)) " · " (if r.scope == NoteScope::Order { w.for_the_order } else { w.for_an_item }) }
                    }
                }
                p { a href="/console/menu/requests" { (w.edit) " " (w.requests) } }
            }
            section aria-labelledby="add-group" {
                h2 id="add-group" { (w.add_group) }
                (page.form("/console/menu/groups", "grid", html! {
                    (scoped_field("group", w.item_id, "id", "", &Problems::new(), FieldKind::Text))
                    (scoped_field("group", w.name_ko, "name_ko", "", &Problems::new(), FieldKind::Text))
                    (scoped_field("group", w.name_en, "name_en", "", &Problems::new(), FieldKind::Text))
                    fieldset {
                        legend { (w.first_option) }
                        (scoped_field("group", w.item_id, "opt_id", "", &Problems::new(), FieldKind::Text))
                        (scoped_field("group", w.name_ko, "opt_ko", "", &Problems::new(), FieldKind::Text))
                        (scoped_field("group", w.name_en, "opt_en", "", &Problems::new(), FieldKind::Text))
                        (scoped_field("group", w.price_delta, "opt_delta", "0", &Problems::new(), FieldKind::Number))
                    }
                    button type="submit" { (w.add_group) }
                }))
            }
            section aria-labelledby="add-category" {
                h2 id="add-category" { (w.add_category) }
                (page.form("/console/menu/categories", "grid", html! {
                    (scoped_field("category", w.item_id, "id", "", &Problems::new(), FieldKind::Text))
                    (scoped_field("category", w.name_ko, "name_ko", "", &Problems::new(), FieldKind::Text))
                    (scoped_field("category", w.name_en, "name_en", "", &Problems::new(), FieldKind::Text))
                    button type="submit" { (w.add_category) }
                }))
            }
            section aria-labelledby="stations" {
                h2 id="stations" { (w.stations) }
                ul {
                    @for s in &stations {
                        li { (s.name) " (" (s.id) ")" @if let Some(p) = &s.printer { " · " (w.printer) " " (p) } }
                    }
                }
                (page.form("/console/stations", "grid", html! {
                    (scoped_field("station", w.item_id, "id", "", &Problems::new(), FieldKind::Text))
                    (scoped_field("station", w.name, "name", "", &Problems::new(), FieldKind::Text))
                    (scoped_field("station", w.printer_address, "printer", "", &Problems::new(), FieldKind::Text))
                    button type="submit" { (w.save_station) }
                }))
                (page.form("/console/hold", "inline", html! {
                    input type="hidden" name="hold" value=(if hold { "0" } else { "1" });
                    p { (w.hold_unpaid) ": " strong { (if hold { w.on } else { w.off }) } " "
                        button type="submit" { (if hold { w.turn_off } else { w.turn_on }) } }
                }))
            }
        }
    };
    page.respond(wants_fragment(&headers), main)
}

#[derive(serde::Deserialize)]
pub struct SoldOutForm {
    csrf: Option<String>,
    sold_out: String,
}

pub async fn sold_out(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<SoldOutForm>,
) -> Response {
    if let Some(r) = staff.refused_change(Permission::Store, &headers, f.csrf.as_deref()) {
        return r;
    }
    let member = staff.member.clone();
    let sold_out = f.sold_out == "1";
    let result = crate::run(&state, move |db| {
        db.set_sold_out(&id, sold_out)?;
        db.audit(
            Some(&member),
            "",
            if sold_out { "menu.sold_out" } else { "menu.on_sale" },
            &id,
            unix_now_ms(),
        )
    })
    .await;
    match result {
        Ok(()) => {
            state.announce_now().await;
            Redirect::to("/console/menu").into_response()
        }
        Err(e) => e.into_response(),
    }
}

// --- an item ----------------------------------------------------------------------------

fn item_form(page: &Page<'_>, w: &Words, menu: &Menu, item: &Item, ctx: &ItemContext<'_>) -> Markup {
    let lang = page.lang().menu();
    let p = ctx.posted;
    let pr = ctx.problems;
    let station = ctx.station;
    html! {
        (form_notes(w, pr, ctx.saved))
        form method="post" action={ "/console/menu/items/" (item.id.0) } enctype="multipart/form-data" class="grid" {
            input type="hidden" name="csrf" value=(page.csrf());
            (names(w, p, "name", Some(&item.name), pr))
            (field(w.price, "price", &value(p, "price", &item.price.0.to_string()), pr, FieldKind::Number))
            div class="field" {
                label for="f-category" { (w.category) }
                select id="f-category" name="category" {
                    @for c in &menu.categories { option value=(c.id.0) selected[c.id == item.category] { (c.name.get(lang)) } }
                }
            }
            (station_select(w, "station", ctx.stations, station, w.follow_category))
            fieldset class={ "field" @if pr.contains_key("groups") { " invalid" } } {
                legend { (w.option_groups) }
                @for g in &menu.option_groups {
                    div class="check" {
                        input type="checkbox" name="groups" value=(g.id.0) id={ "g-" (g.id.0) } checked[item.option_groups.contains(&g.id)];
                        label for={ "g-" (g.id.0) } { (g.name.get(lang)) }
                    }
                }
                @if let Some(problem) = pr.get("groups") { p class="problem" { (problem) } }
            }
            @if let Some(set) = &item.set {
                fieldset class={ "field" @if pr.contains_key("set") { " invalid" } } {
                    legend { (w.set_menu) }
                    @for step in &set.steps {
                        @for c in &step.choices {
                            @let name = format!("set:{}:{}", step.id.0, c.item.0);
                            @let label = format!("{} · {} (+/-)", step.name.get(lang), menu.item(&c.item).map(|i| i.name.get(lang)).unwrap_or(&c.item.0));
                            (field(&label, &name, &value(p, &name, &c.price_delta.0.to_string()), pr, FieldKind::Number))
                        }
                    }
                    @if let Some(problem) = pr.get("set") { p class="problem" { (problem) } }
                }
            }
            (field(w.availability, "availability", &value(p, "availability", &windows_text(&item.availability)), pr, FieldKind::Text))
            p class="hint" { (w.availability_hint) }
            div class="field" {
                label for="f-photo" { (w.photo) }
                @if let Some(photo) = &item.image { img src={ "/console/photos/" (photo) } alt=(w.current_photo) width="160" height="120"; }
                input id="f-photo" name="photo" type="file" accept="image/jpeg,image/png" aria-invalid=[pr.get("photo").map(|_| "true")] aria-describedby=[pr.get("photo").map(|_| "f-photo-problem")];
                @if let Some(problem) = pr.get("photo") { p class="problem" id="f-photo-problem" { (problem) } }
            }
            button type="submit" class="primary" { (w.save) }
        }
        p { a href="/console/menu" { (w.menu) } }
    }
}

struct ItemContext<'a> {
    posted: Option<&'a Posted>,
    problems: &'a Problems,
    stations: &'a [Station],
    station: Option<&'a str>,
    saved: bool,
}

#[derive(serde::Deserialize, Default)]
pub struct SavedQuery {
    saved: Option<String>,
}

pub async fn item_page(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<SavedQuery>,
) -> Response {
    if let Some(r) = staff.refused(Permission::EditMenu) {
        return r;
    }
    let (menu, stations, assignments, ..) = match load(&state).await {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let Some(item) = menu.item(&ItemId(id.clone())).cloned() else {
        return not_found(format!("item {id:?}"));
    };
    let w = Words::of(staff.lang);
    let title = format!("{} · {}", w.menu, item.name.get(staff.lang.menu()));
    let page = Page::new(&title, &staff).at("/console/menu");
    let ctx = ItemContext {
        posted: None,
        problems: &Problems::new(),
        stations: &stations,
        station: assignments.items.get(&id).map(String::as_str),
        saved: q.saved.is_some(),
    };
    let main = item_form(&page, w, &menu, &item, &ctx);
    form_page(page, ctx.problems, main)
}

/// Applies an item's form to the menu; problems by field.
fn apply_item(menu: &mut Menu, id: &str, posted: &Posted, photo: Option<String>, w: &Words) -> Problems {
    let mut problems = Problems::new();
    let Some(index) = menu.items.iter().position(|i| i.id.0 == id) else {
        problems.insert(String::new(), format!("item {id:?} is not on the menu"));
        return problems;
    };
    let item = &mut menu.items[index];
    set_text(&mut item.name, posted, "name", &mut problems, w);
    match parse_won(posted.get("price")) {
        Some(p) if p >= 0 => item.price = Money(p),
        _ => {
            problems.insert("price".into(), w.price_invalid.into());
        }
    }
    item.category = CategoryId(posted.get("category").to_owned());
    item.option_groups = posted.all("groups").into_iter().map(GroupId).collect();
    if let Some(set) = &mut item.set {
        for step in &mut set.steps {
            for c in &mut step.choices {
                let name = format!("set:{}:{}", step.id.0, c.item.0);
                if posted.fields.contains_key(&name) {
                    match parse_won(posted.get(&name)) {
                        Some(d) => c.price_delta = Money(d),
                        None => {
                            problems.insert(name, w.price_invalid.into());
                        }
                    }
                }
            }
        }
    }
    match parse_windows(posted.get("availability")) {
        Ok(windows) => item.availability = windows,
        Err(e) => {
            problems.insert("availability".into(), e);
        }
    }
    if let Some(photo) = photo {
        item.image = Some(photo);
    }
    if problems.is_empty() {
        checker_problems(menu, &format!("items[{index}] \"{id}\""), &mut problems);
    }
    problems
}

pub async fn save_item(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Multipart,
) -> Response {
    let posted = match Posted::read(form).await {
        Ok(p) => p,
        Err((StatusCode::PAYLOAD_TOO_LARGE, _)) => {
            let w = Words::of(staff.lang);
            return (StatusCode::PAYLOAD_TOO_LARGE, Page::new(w.menu, &staff).message(w.photo_too_large))
                .into_response();
        }
        Err(e) => return e.into_response(),
    };
    if let Some(r) = edit_refused(&staff, &headers, &posted) {
        return r;
    }
    let w = Words::of(staff.lang);
    let mut problems = Problems::new();
    let photo =
        match posted.photo.as_deref().map(|b| {
            if b.len() > PHOTO_MAX_BYTES { Err(w.photo_too_large.to_owned()) } else { prepare_photo(b) }
        }) {
            Some(Ok(png)) => Some(png),
            Some(Err(e)) => {
                problems.insert("photo".into(), format!("{}: {e}", w.photo_unreadable));
                None
            }
            None => None,
        };
    let (mut menu, stations, ..) = match load(&state).await {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let photo_name = photo.as_deref().map(crate::db::menu::photo_name);
    problems.extend(apply_item(&mut menu, &id, &posted, photo_name, w));
    let station = posted.get("station").to_owned();
    if problems.is_empty() {
        let item_id = id.clone();
        let also = move |db: &mut ServerDb| {
            if let Some(png) = &photo {
                db.put_photo(png, unix_now_ms())?;
            }
            db.assign_station("item", &item_id, Some(&station))
        };
        let to = format!("/console/menu/items/{id}?saved=1");
        return save_menu(&state, &staff, menu, "menu.item", id, also, to).await;
    }
    // Shown again with what was typed, and each problem at its field.
    let Some(item) = menu.item(&ItemId(id.clone())).cloned() else {
        return not_found(format!("item {id:?}"));
    };
    let title = format!("{} · {}", w.menu, item.name.get(staff.lang.menu()));
    let page = Page::new(&title, &staff).at("/console/menu");
    let ctx = ItemContext {
        posted: Some(&posted),
        problems: &problems,
        stations: &stations,
        station: Some(posted.get("station")).filter(|s| !s.is_empty()),
        saved: false,
    };
    let main = item_form(&page, w, &menu, &item, &ctx);
    form_page(page, &problems, main)
}

#[derive(serde::Deserialize)]
pub struct NewThing {
    csrf: Option<String>,
    id: String,
    name_ko: String,
    name_en: String,
    price: Option<String>,
    category: Option<String>,
    /// A new option group's first option (a group has at least one).
    opt_id: Option<String>,
    opt_ko: Option<String>,
    opt_en: Option<String>,
    opt_delta: Option<String>,
}

impl NewThing {
    fn posted(&self) -> Posted {
        let mut p = Posted::default();
        p.fields.insert("name_ko".into(), vec![self.name_ko.clone()]);
        p.fields.insert("name_en".into(), vec![self.name_en.clone()]);
        p.fields.insert("opt_ko".into(), vec![self.opt_ko.clone().unwrap_or_default()]);
        p.fields.insert("opt_en".into(), vec![self.opt_en.clone().unwrap_or_default()]);
        p
    }
}

/// Adds an item (or a category, or an option group) from the menu page's small forms; the
/// rest is edited on its own page.
async fn add(state: AppState, staff: Staff, headers: HeaderMap, f: NewThing, kind: &'static str) -> Response {
    if let Some(r) = staff.refused_change(Permission::EditMenu, &headers, f.csrf.as_deref()) {
        return r;
    }
    let w = Words::of(staff.lang);
    let mut problems = Problems::new();
    let (mut menu, ..) = match load(&state).await {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let id = f.id.trim().to_owned();
    let taken = match kind {
        "item" => menu.items.iter().any(|i| i.id.0 == id),
        "category" => menu.categories.iter().any(|c| c.id.0 == id),
        _ => menu.option_groups.iter().any(|g| g.id.0 == id),
    };
    if !valid_id(&id) {
        problems.insert("id".into(), w.id_invalid.into());
    } else if taken {
        problems.insert("id".into(), w.id_taken.into());
    }
    let mut name = Text::new("", "");
    set_text(&mut name, &f.posted(), "name", &mut problems, w);
    match kind {
        "item" => {
            let price = parse_won(f.price.as_deref().unwrap_or("")).filter(|p| *p >= 0);
            if price.is_none() {
                problems.insert("price".into(), w.price_invalid.into());
            }
            let item = serde_json::json!({
                "id": id, "category": f.category.clone().unwrap_or_default(), "name": name, "price": price.unwrap_or(0)
            });
            match serde_json::from_value::<Item>(item) {
                Ok(item) => menu.items.push(item),
                Err(e) => {
                    problems.insert(String::new(), e.to_string());
                }
            }
        }
        "category" => menu.categories.push(kiosk_domain::Category {
            id: CategoryId(id.clone()),
            name,
            image: None,
            availability: vec![],
        }),
        _ => {
            let oid = f.opt_id.as_deref().unwrap_or("").trim().to_owned();
            if !valid_id(&oid) {
                problems.insert("opt_id".into(), w.id_invalid.into());
            }
            let mut option_name = Text::new("", "");
            set_text(&mut option_name, &f.posted(), "opt", &mut problems, w);
            let delta = parse_won(f.opt_delta.as_deref().unwrap_or("0"));
            if delta.is_none() {
                problems.insert("opt_delta".into(), w.price_invalid.into());
            }
            menu.option_groups.push(OptionGroup {
                id: GroupId(id.clone()),
                name,
                min: 0,
                max: 1,
                options: vec![MenuOption {
                    id: OptionId(oid),
                    name: option_name,
                    price_delta: Money(delta.unwrap_or(0)),
                    sold_out: false,
                    option_groups: vec![],
                }],
            })
        }
    }
    if problems.is_empty() {
        for p in menu.validate() {
            problems.insert(String::new(), p.to_string());
        }
    }
    if !problems.is_empty() {
        let page = Page::new(w.menu, &staff).at("/console/menu");
        let list = html! {
            div class="problem" role="alert" {
                ul { @for (f, p) in &problems { li { @if !f.is_empty() { (w.field_name(f)) ": " } (p) } } }
                p { a href="/console/menu" { (w.menu) } }
            }
        };
        return (StatusCode::UNPROCESSABLE_ENTITY, page.render(list)).into_response();
    }
    let to = match kind {
        "item" => format!("/console/menu/items/{id}"),
        "category" => format!("/console/menu/categories/{id}"),
        _ => format!("/console/menu/groups/{id}"),
    };
    save_menu(&state, &staff, menu, &format!("menu.add_{kind}"), id, |_| Ok(()), to).await
}

pub async fn add_item(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    axum::Form(f): axum::Form<NewThing>,
) -> Response {
    add(state, staff, headers, f, "item").await
}

pub async fn add_category(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    axum::Form(f): axum::Form<NewThing>,
) -> Response {
    add(state, staff, headers, f, "category").await
}

pub async fn add_group(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    axum::Form(f): axum::Form<NewThing>,
) -> Response {
    add(state, staff, headers, f, "group").await
}

// --- a category ---------------------------------------------------------------------------

pub async fn category_page(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<SavedQuery>,
) -> Response {
    category_response(state, staff, id, None, Problems::new(), q.saved.is_some()).await
}

async fn category_response(
    state: AppState,
    staff: Staff,
    id: String,
    posted: Option<Posted>,
    problems: Problems,
    saved: bool,
) -> Response {
    if let Some(r) = staff.refused(Permission::EditMenu) {
        return r;
    }
    let (menu, stations, assignments, ..) = match load(&state).await {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let Some(c) = menu.categories.iter().find(|c| c.id.0 == id).cloned() else {
        return not_found(format!("category {id:?}"));
    };
    let w = Words::of(staff.lang);
    let title = format!("{} · {}", w.category, c.name.get(staff.lang.menu()));
    let page = Page::new(&title, &staff).at("/console/menu");
    let p = posted.as_ref();
    let main = html! {
        (form_notes(w, &problems, saved))
        (page.form(&format!("/console/menu/categories/{id}"), "grid", html! {
            (names(w, p, "name", Some(&c.name), &problems))
            (station_select(w, "station", &stations, assignments.categories.get(&id).map(String::as_str), w.no_station))
            (field(w.availability, "availability", &value(p, "availability", &windows_text(&c.availability)), &problems, FieldKind::Text))
            p class="hint" { (w.availability_hint) }
            button type="submit" class="primary" { (w.save) }
        }))
        p { a href="/console/menu" { (w.menu) } }
    };
    form_page(page, &problems, main)
}

pub async fn save_category(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path(id): Path<String>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Response {
    let posted = posted_from(fields);
    if let Some(r) = edit_refused(&staff, &headers, &posted) {
        return r;
    }
    let w = Words::of(staff.lang);
    let (mut menu, ..) = match load(&state).await {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let mut problems = Problems::new();
    let Some(index) = menu.categories.iter().position(|c| c.id.0 == id) else {
        return not_found(format!("category {id:?}"));
    };
    let c = &mut menu.categories[index];
    set_text(&mut c.name, &posted, "name", &mut problems, w);
    match parse_windows(posted.get("availability")) {
        Ok(windows) => c.availability = windows,
        Err(e) => {
            problems.insert("availability".into(), e);
        }
    }
    if problems.is_empty() {
        checker_problems(&menu, &format!("categories[{index}] \"{id}\""), &mut problems);
    }
    if !problems.is_empty() {
        return category_response(state, staff, id, Some(posted), problems, false).await;
    }
    let (station, cid) = (posted.get("station").to_owned(), id.clone());
    let also = move |db: &mut ServerDb| db.assign_station("category", &cid, Some(&station));
    let to = format!("/console/menu/categories/{id}?saved=1");
    save_menu(&state, &staff, menu, "menu.category", id, also, to).await
}

fn posted_from(fields: Vec<(String, String)>) -> Posted {
    let mut p = Posted::default();
    for (k, v) in fields {
        p.fields.entry(k).or_default().push(v);
    }
    p
}

// --- an option group ----------------------------------------------------------------------

pub async fn group_page(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<SavedQuery>,
) -> Response {
    group_response(state, staff, id, None, Problems::new(), q.saved.is_some()).await
}

async fn group_response(
    state: AppState,
    staff: Staff,
    id: String,
    posted: Option<Posted>,
    problems: Problems,
    saved: bool,
) -> Response {
    if let Some(r) = staff.refused(Permission::EditMenu) {
        return r;
    }
    let (menu, ..) = match load(&state).await {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let Some(g) = menu.group(&GroupId(id.clone())).cloned() else {
        return not_found(format!("option group {id:?}"));
    };
    let w = Words::of(staff.lang);
    let title = format!("{} · {}", w.option_groups, g.name.get(staff.lang.menu()));
    let page = Page::new(&title, &staff).at("/console/menu");
    let p = posted.as_ref();
    let main = html! {
        (form_notes(w, &problems, saved))
        (page.form(&format!("/console/menu/groups/{id}"), "grid", html! {
            (names(w, p, "name", Some(&g.name), &problems))
            (field(w.choose_at_least, "min", &value(p, "min", &g.min.to_string()), &problems, FieldKind::Number))
            (field(w.choose_at_most, "max", &value(p, "max", &g.max.to_string()), &problems, FieldKind::Number))
            @for (n, o) in g.options.iter().enumerate() {
                fieldset {
                    legend { (o.name.get(page.lang().menu())) }
                    input type="hidden" name={ "opt" (n) "_id" } value=(o.id.0);
                    (names(w, p, &format!("opt{n}"), Some(&o.name), &problems))
                    (field(w.price_delta, &format!("opt{n}_delta"), &value(p, &format!("opt{n}_delta"), &o.price_delta.0.to_string()), &problems, FieldKind::Number))
                    div class="check" {
                        input type="checkbox" name={ "opt" (n) "_remove" } value="1" id={ "rm" (n) };
                        label for={ "rm" (n) } { (w.remove) }
                    }
                }
            }
            @let n = g.options.len();
            fieldset {
                legend { (w.add_option) }
                (field(w.item_id, &format!("opt{n}_id"), &value(p, &format!("opt{n}_id"), ""), &problems, FieldKind::Text))
                (names(w, p, &format!("opt{n}"), None, &problems))
                (field(w.price_delta, &format!("opt{n}_delta"), &value(p, &format!("opt{n}_delta"), "0"), &problems, FieldKind::Number))
            }
            button type="submit" class="primary" { (w.save) }
        }))
        p { a href="/console/menu" { (w.menu) } }
    };
    form_page(page, &problems, main)
}

pub async fn save_group(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    Path(id): Path<String>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Response {
    let posted = posted_from(fields);
    if let Some(r) = edit_refused(&staff, &headers, &posted) {
        return r;
    }
    let w = Words::of(staff.lang);
    let (mut menu, ..) = match load(&state).await {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let Some(index) = menu.option_groups.iter().position(|g| g.id.0 == id) else {
        return not_found(format!("option group {id:?}"));
    };
    let mut problems = Problems::new();
    let g = &mut menu.option_groups[index];
    set_text(&mut g.name, &posted, "name", &mut problems, w);
    for (bound, target) in [("min", &mut g.min), ("max", &mut g.max)] {
        match posted.get(bound).trim().parse::<u32>() {
            Ok(n) if n <= 50 => *target = n,
            _ => {
                problems.insert(bound.into(), w.count_invalid.into());
            }
        }
    }
    let mut options = Vec::new();
    let ids: Vec<&str> = g.options.iter().map(|o| o.id.0.as_str()).collect();
    for (n, row) in posted_rows(&posted, "opt", &ids, &mut problems, w) {
        let mut option = match row {
            Row::Kept(i) => g.options[i].clone(),
            Row::New(oid) => MenuOption {
                id: OptionId(oid),
                name: Text::new("", ""),
                price_delta: Money(0),
                sold_out: false,
                option_groups: vec![],
            },
        };
        set_text(&mut option.name, &posted, &format!("opt{n}"), &mut problems, w);
        match parse_won(posted.get(&format!("opt{n}_delta"))) {
            Some(d) => option.price_delta = Money(d),
            None => {
                problems.insert(format!("opt{n}_delta"), w.price_invalid.into());
            }
        }
        options.push(option);
    }
    g.options = options;
    if problems.is_empty() {
        checker_problems(&menu, &format!("option_groups[{index}] \"{id}\""), &mut problems);
    }
    if !problems.is_empty() {
        return group_response(state, staff, id, Some(posted), problems, false).await;
    }
    let to = format!("/console/menu/groups/{id}?saved=1");
    save_menu(&state, &staff, menu, "menu.group", id, |_| Ok(()), to).await
}

// --- request presets (요청사항) ---------------------------------------------------------------

pub async fn requests_page(
    State(state): State<AppState>,
    staff: Staff,
    axum::extract::Query(q): axum::extract::Query<SavedQuery>,
) -> Response {
    requests_response(state, staff, None, Problems::new(), q.saved.is_some()).await
}

async fn requests_response(
    state: AppState,
    staff: Staff,
    posted: Option<Posted>,
    problems: Problems,
    saved: bool,
) -> Response {
    if let Some(r) = staff.refused(Permission::EditMenu) {
        return r;
    }
    let (menu, ..) = match load(&state).await {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let w = Words::of(staff.lang);
    let lang = staff.lang.menu();
    let page = Page::new(w.requests, &staff).at("/console/menu");
    let p = posted.as_ref();
    // One preset's fields; `n` past the presets is the new one.
    let preset_fields = |n: usize, preset: Option<&NotePreset>| {
        let scope = preset.map_or(NoteScope::Item, |r| r.scope);
        let scope = match p.map(|p| p.get(&format!("req{n}_scope"))) {
            Some("order") => NoteScope::Order,
            Some("item") => NoteScope::Item,
            _ => scope,
        };
        let chosen = |c: &CategoryId| match p {
            Some(p) => p.all(&format!("req{n}_categories")).contains(&c.0),
            None => preset.is_some_and(|r| r.categories.contains(c)),
        };
        html! {
            (names(w, p, &format!("req{n}"), preset.map(|r| &r.text), &problems))
            div class="field" {
                label for={ "f-req" (n) "_scope" } { (w.request_for) }
                select id={ "f-req" (n) "_scope" } name={ "req" (n) "_scope" } {
                    option value="item" selected[scope == NoteScope::Item] { (w.for_an_item) }
                    option value="order" selected[scope == NoteScope::Order] { (w.for_the_order) }
                }
            }
            fieldset class={ "field" @if problems.contains_key(&format!("req{n}_categories")) { " invalid" } } {
                legend { (w.request_categories) }
                @for c in &menu.categories {
                    div class="check" {
                        input type="checkbox" name={ "req" (n) "_categories" } value=(c.id.0) id={ "req" (n) "-" (c.id.0) } checked[chosen(&c.id)];
                        label for={ "req" (n) "-" (c.id.0) } { (c.name.get(lang)) }
                    }
                }
                @if let Some(problem) = problems.get(&format!("req{n}_categories")) { p class="problem" { (problem) } }
            }
        }
    };
    let main = html! {
        (form_notes(w, &problems, saved))
        (page.form("/console/menu/requests", "grid", html! {
            @for (n, r) in menu.note_presets.iter().enumerate() {
                fieldset {
                    legend { (r.text.get(lang)) }
                    input type="hidden" name={ "req" (n) "_id" } value=(r.id.0);
                    (preset_fields(n, Some(r)))
                    div class="check" {
                        input type="checkbox" name={ "req" (n) "_remove" } value="1" id={ "req-rm" (n) };
                        label for={ "req-rm" (n) } { (w.remove) }
                    }
                }
            }
            @let n = menu.note_presets.len();
            fieldset {
                legend { (w.add_request) }
                (field(w.item_id, &format!("req{n}_id"), &value(p, &format!("req{n}_id"), ""), &problems, FieldKind::Text))
                (preset_fields(n, None))
            }
            button type="submit" class="primary" { (w.save) }
        }))
        p { a href="/console/menu" { (w.menu) } }
    };
    form_page(page, &problems, main)
}

/// The request presets as posted: each kept one's texts, where it is offered, removals,
/// and a new one (left out when its id and Korean text are both empty).
pub async fn save_requests(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> Response {
    let posted = posted_from(fields);
    if let Some(r) = edit_refused(&staff, &headers, &posted) {
        return r;
    }
    let w = Words::of(staff.lang);
    let (mut menu, ..) = match load(&state).await {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let mut problems = Problems::new();
    let mut presets = Vec::new();
    let ids: Vec<&str> = menu.note_presets.iter().map(|r| r.id.0.as_str()).collect();
    for (n, row) in posted_rows(&posted, "req", &ids, &mut problems, w) {
        let mut preset = match row {
            Row::Kept(i) => menu.note_presets[i].clone(),
            Row::New(id) => NotePreset {
                id: NoteId(id),
                text: Text::new("", ""),
                scope: NoteScope::Item,
                categories: vec![],
            },
        };
        set_text(&mut preset.text, &posted, &format!("req{n}"), &mut problems, w);
        for l in ["ko", "en", "zh", "ja"] {
            let field = format!("req{n}_{l}");
            let optional = matches!(l, "zh" | "ja") && posted.get(&field).trim().is_empty();
            if !optional
                && !problems.contains_key(&field)
                && kiosk_domain::note::check_text(posted.get(&field).trim()).is_err()
            {
                problems.insert(field, w.request_text_invalid.into());
            }
        }
        preset.scope =
            if posted.get(&format!("req{n}_scope")) == "order" { NoteScope::Order } else { NoteScope::Item };
        // An order's request is offered once per order, never by category.
        preset.categories = match preset.scope {
            NoteScope::Order => vec![],
            NoteScope::Item => {
                posted.all(&format!("req{n}_categories")).into_iter().map(CategoryId).collect()
            }
        };
        presets.push(preset);
    }
    menu.note_presets = presets;
    if problems.is_empty() {
        checker_problems(&menu, "note_presets", &mut problems);
    }
    if !problems.is_empty() {
        return requests_response(state, staff, Some(posted), problems, false).await;
    }
    let to = "/console/menu/requests?saved=1".to_owned();
    save_menu(&state, &staff, menu, "menu.requests", "note_presets".into(), |_| Ok(()), to).await
}

// --- stations and the hold setting ----------------------------------------------------------

#[derive(serde::Deserialize)]
pub struct StationForm {
    csrf: Option<String>,
    id: String,
    name: String,
    printer: Option<String>,
}

pub async fn save_station(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    axum::Form(f): axum::Form<StationForm>,
) -> Response {
    if let Some(r) = staff.refused_change(Permission::EditMenu, &headers, f.csrf.as_deref()) {
        return r;
    }
    let station = Station {
        id: f.id.trim().to_owned(),
        name: f.name.trim().to_owned(),
        printer: f.printer.map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()),
    };
    let member = staff.member.clone();
    let result = crate::run(&state, move |db| {
        db.save_station(&station)?;
        db.audit(
            Some(&member),
            "",
            "station.save",
            &format!("{} {:?}", station.id, station.printer),
            unix_now_ms(),
        )
    })
    .await;
    match result {
        Ok(()) => {
            state.wake_kitchen();
            state.announce_now().await;
            Redirect::to("/console/menu#stations").into_response()
        }
        Err(e) => e.into_response(),
    }
}

#[derive(serde::Deserialize)]
pub struct HoldForm {
    csrf: Option<String>,
    hold: String,
}

pub async fn set_hold(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    axum::Form(f): axum::Form<HoldForm>,
) -> Response {
    if let Some(r) = staff.refused_change(Permission::EditMenu, &headers, f.csrf.as_deref()) {
        return r;
    }
    let member = staff.member.clone();
    let hold = f.hold == "1";
    let result = crate::run(&state, move |db| {
        db.set_hold_unpaid(hold)?;
        db.audit(Some(&member), "", "store.hold_unpaid", if hold { "on" } else { "off" }, unix_now_ms())
    })
    .await;
    match result {
        Ok(()) => {
            state.announce_now().await;
            Redirect::to("/console/menu#stations").into_response()
        }
        Err(e) => e.into_response(),
    }
}

// --- photos ---------------------------------------------------------------------------------

pub fn photo_response(photo: Option<Vec<u8>>) -> Response {
    match photo {
        Some(png) => (
            [(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "max-age=31536000, immutable")],
            png,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

pub async fn console_photo(
    State(state): State<AppState>,
    _staff: Staff,
    Path(name): Path<String>,
) -> Response {
    match crate::run(&state, move |db: &mut ServerDb| db.photo(&name)).await {
        Ok(photo) => photo_response(photo),
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_read_back_as_written() {
        let w = parse_windows("mon tue 11:00-14:00; 17:00-21:30").unwrap();
        assert_eq!(w.len(), 2);
        assert_eq!(w[0].days, vec![Weekday::Mon, Weekday::Tue]);
        assert_eq!(windows_text(&w), "mon tue 11:00-14:00; 17:00-21:30");
        assert!(parse_windows("").unwrap().is_empty());
        assert!(parse_windows("lunch").is_err());
        assert!(parse_windows("someday 10:00-11:00").is_err());
        assert!(parse_windows("25:00-26:00").is_err());
    }

    #[test]
    fn prices_take_separators_and_refuse_words() {
        assert_eq!(parse_won("4,500"), Some(4500));
        assert_eq!(parse_won("₩ 4500"), Some(4500));
        assert_eq!(parse_won("-500"), Some(-500));
        assert_eq!(parse_won("four"), None);
        assert_eq!(parse_won("99999999"), None);
    }

    #[test]
    fn photos_are_cropped_to_what_devices_draw() {
        let picture = image::RgbImage::from_pixel(1000, 400, image::Rgb([200, 30, 30]));
        let mut jpeg = Vec::new();
        image::DynamicImage::ImageRgb8(picture)
            .write_to(&mut std::io::Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
            .unwrap();
        let png = prepare_photo(&jpeg).unwrap();
        let back = image::load_from_memory(&png).unwrap();
        assert_eq!((back.width(), back.height()), PHOTO_SIZE);
        assert!(prepare_photo(b"not a picture").is_err());
    }
}
