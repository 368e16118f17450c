//! The console's page frame: the document, its navigation by role, the live-update hooks and
//! the small pieces every page uses (money, ages, forms with the CSRF token).

use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::auth::{CSRF_FIELD, Staff};
use super::words::Words;
use crate::db::console::{Permission, StaffMember};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ko,
    En,
}

impl Lang {
    /// The language menu names are shown in.
    pub fn menu(self) -> kiosk_domain::Lang {
        match self {
            Lang::Ko => kiosk_domain::Lang::Ko,
            Lang::En => kiosk_domain::Lang::En,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ko => "ko",
            Lang::En => "en",
        }
    }
}

/// A page's name in the navigation.
type NavName = fn(&Words) -> &'static str;

/// Where each page is, what it is called and who may see it.
pub const NAV: &[(&str, NavName, Permission)] = &[
    ("/console/", |w| w.board, Permission::SeeOrders),
    ("/console/kitchen", |w| w.kitchen, Permission::SeeOrders),
    ("/console/counter", |w| w.counter, Permission::TakePayments),
    ("/console/tables", |w| w.tables, Permission::Tables),
    ("/console/menu", |w| w.menu, Permission::Store),
    ("/console/store", |w| w.store, Permission::Store),
    ("/console/stamps", |w| w.stamps, Permission::TakePayments),
    ("/console/coupons", |w| w.coupons, Permission::EditMenu),
    ("/console/close", |w| w.close, Permission::CloseDay),
    ("/console/staff", |w| w.staff, Permission::ManageStaff),
];

pub struct Page<'a> {
    title: &'a str,
    lang: Lang,
    staff: Option<(&'a StaffMember, &'a str)>,
    /// An event stream the page follows to refresh its live part.
    live: Option<String>,
    path: &'a str,
}

/// Only the live part of a page is asked for (the script's refresh).
pub fn wants_fragment(headers: &HeaderMap) -> bool {
    headers.get("x-fragment").is_some()
}

pub fn won(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{}₩{out}", if amount < 0 { "-" } else { "" })
}

/// An amount as staff type it ("₩4,500", "4500원"), without its separators and signs of money.
pub fn won_digits(raw: &str) -> String {
    raw.replace([',', '₩', '원', ' '], "")
}

/// "3 min", "1 h 05 min" ("3분", "1시간 05분"): how long ago.
pub fn age(lang: Lang, now_ms: i64, then_ms: i64) -> String {
    let min = ((now_ms - then_ms).max(0) / 60_000) as u64;
    match (lang, min < 60) {
        (Lang::Ko, true) => format!("{min}분"),
        (Lang::Ko, false) => format!("{}시간 {:02}분", min / 60, min % 60),
        (Lang::En, true) => format!("{min} min"),
        (Lang::En, false) => format!("{} h {:02} min", min / 60, min % 60),
    }
}

impl<'a> Page<'a> {
    pub fn new(title: &'a str, staff: &'a Staff) -> Page<'a> {
        Page { title, lang: staff.lang, staff: Some((&staff.member, &staff.csrf)), live: None, path: "" }
    }

    pub fn public(title: &'a str, lang: Lang) -> Page<'a> {
        Page { title, lang, staff: None, live: None, path: "" }
    }

    /// The page refreshes its live part when `events` (an SSE URL) says something changed.
    pub fn live(mut self, events: impl Into<String>) -> Self {
        self.live = Some(events.into());
        self
    }

    pub fn at(mut self, path: &'a str) -> Self {
        self.path = path;
        self
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    fn words(&self) -> &'static Words {
        Words::of(self.lang)
    }

    /// This session's CSRF token, for forms built by hand (a file upload's).
    pub fn csrf(&self) -> &str {
        self.staff.map(|(_, c)| c).unwrap_or("")
    }

    /// A form posting to `action`, with this session's CSRF token.
    pub fn form(&self, action: &str, class: &str, body: Markup) -> Markup {
        let csrf = self.staff.map(|(_, c)| c).unwrap_or("");
        html! {
            form method="post" action=(action) class=(class) {
                input type="hidden" name=(CSRF_FIELD) value=(csrf);
                (body)
            }
        }
    }

    /// The whole page around `main`, or only `main`'s content for a live refresh.
    pub fn respond(self, fragment: bool, main: Markup) -> Response {
        if fragment { Html(main.into_string()).into_response() } else { self.render(main).into_response() }
    }

    pub fn render(self, main: Markup) -> Markup {
        let w = self.words();
        html! {
            (DOCTYPE)
            html lang=(self.lang.code()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (self.title) " · " (w.console) }
                    link rel="stylesheet" href="/console/assets/console.css";
                    script src="/console/assets/console.js" defer {}
                }
                body data-live=[self.live.as_deref()] {
                    a class="skip" href="#main" { (if self.lang == Lang::Ko { "본문으로" } else { "Skip to content" }) }
                    @if let Some((member, _)) = self.staff {
                        header class="top" {
                            nav aria-label=(w.console) {
                                ul {
                                    @for (href, name, permission) in NAV {
                                        @if member.role.may(*permission) {
                                            li { a href=(href) aria-current=[(*href == self.path).then_some("page")] { (name(w)) } }
                                        }
                                    }
                                }
                            }
                            div class="who" {
                                span { (member.name) " · " (w.role(member.role)) }
                                a href={ "/console/lang?to=" (if self.lang == Lang::Ko { "en" } else { "ko" }) } lang=(if self.lang == Lang::Ko { "en" } else { "ko" }) { (w.language) }
                                (self.form("/console/logout", "inline", html! { button type="submit" class="plain" { (w.log_out) } }))
                            }
                        }
                    }
                    main id="main" {
                        h1 { (self.title) }
                        div id="live" aria-live="polite" { (main) }
                    }
                }
            }
        }
    }

    pub fn message(self, text: &str) -> Markup {
        self.render(html! { p { (text) } })
    }

    pub fn login(self, token: &str, nobody: bool, problem: Option<&str>) -> Markup {
        let w = self.words();
        self.render(html! {
            @if nobody { p class="note" { (w.no_staff_yet) } }
            @if let Some(p) = problem { p class="problem" role="alert" { (p) } }
            form method="post" action="/console/login" class="login" {
                input type="hidden" name="login" value=(token);
                label for="name" { (w.name) }
                input id="name" name="name" autocomplete="username" required;
                label for="secret" { (w.secret) }
                input id="secret" name="secret" type="password" autocomplete="current-password" required;
                button type="submit" { (w.log_in) }
            }
        })
    }
}
