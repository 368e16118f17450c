//! Staff logins for the console: argon2id-hashed PINs and passwords, a session cookie
//! (HttpOnly, SameSite=Strict, Secure under TLS), a CSRF token per session that every change
//! must carry, a lockout after repeated failures, and the audit log of every attempt.

use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kiosk_clock::unix_now_ms;
use password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};

use super::page::{Lang, Page};
use super::words::Words;
use crate::AppState;
use crate::db::console::{MAX_FAILURES, Permission, Role, StaffMember};
use crate::db::random_hex;

pub const SESSION_COOKIE: &str = "kiosk_console";
const LOGIN_COOKIE: &str = "kiosk_console_login";
pub const CSRF_FIELD: &str = "csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Hashes a PIN or password (argon2id, random salt).
pub fn hash_secret(secret: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// A hash no secret matches, verified for unknown names so they take as long as known ones.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_secret(&random_hex(16)).unwrap_or_default())
}

pub fn verify_secret(secret: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .is_ok_and(|h| argon2::Argon2::default().verify_password(secret.as_bytes(), &h).is_ok())
}

/// What a new PIN or password must be: at least 4 characters (a PIN of 4 digits or more).
pub fn check_secret(secret: &str) -> Result<(), &'static str> {
    if secret.chars().count() < 4 { Err("at least 4 characters") } else { Ok(()) }
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn set_cookie(name: &str, value: &str, secure: bool, max_age_s: i64) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}")
}

/// A logged-in staff member, from the session cookie. A request without a current session
/// is sent to the login page (a page) or refused with 401 (an event stream, a script).
pub struct Staff {
    pub member: StaffMember,
    pub csrf: String,
    pub lang: Lang,
}

impl Staff {
    /// The 403 answer to what the role may not do; `None` when it may.
    pub fn refused(&self, p: Permission) -> Option<Response> {
        if self.member.role.may(p) {
            return None;
        }
        let w = Words::of(self.lang);
        Some((StatusCode::FORBIDDEN, Page::new(w.forbidden, self).message(w.forbidden_body)).into_response())
    }

    /// The 403 answer to a change the role may not make, or that does not carry this
    /// session's CSRF token (a form field or the `X-CSRF-Token` header); `None` when it is
    /// allowed.
    pub fn refused_change(
        &self,
        p: Permission,
        headers: &HeaderMap,
        field: Option<&str>,
    ) -> Option<Response> {
        if let Some(r) = self.refused(p) {
            return Some(r);
        }
        let sent = field
            .map(str::to_owned)
            .or_else(|| headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned));
        if sent.as_deref().is_some_and(|s| constant_time_eq(s, &self.csrf)) {
            None
        } else {
            Some(
                (StatusCode::FORBIDDEN, "the form is stale or came from another site: reload the page")
                    .into_response(),
            )
        }
    }
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn lang_of(headers: &HeaderMap) -> Lang {
    match cookie(headers, "kiosk_console_lang").as_deref() {
        Some("en") => Lang::En,
        Some("ko") => Lang::Ko,
        _ => {
            let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
            if accept.trim_start().starts_with("en") { Lang::En } else { Lang::Ko }
        }
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Staff, Response> {
        let lang = lang_of(&parts.headers);
        let wants_page = parts
            .headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"));
        let refuse = || {
            if wants_page {
                Redirect::to("/console/login").into_response()
            } else {
                (StatusCode::UNAUTHORIZED, "log in at /console/login").into_response()
            }
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else { return Err(refuse()) };
        let session = crate::read_page(state, move |db| db.staff_session(&token, unix_now_ms()))
            .await
            .map_err(IntoResponse::into_response)?;
        match session {
            Some(s) => Ok(Staff { member: s.staff, csrf: s.csrf, lang }),
            None => Err(refuse()),
        }
    }
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    name: String,
    secret: String,
    login: String,
}

pub async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let lang = lang_of(&headers);
    let nobody = crate::run(&state, |db| db.staff_count()).await.map(|n| n == 0).unwrap_or(false);
    login_form(lang, state.tls, nobody, None, StatusCode::OK)
}

fn login_form(
    lang: Lang,
    secure: bool,
    nobody: bool,
    problem: Option<String>,
    status: StatusCode,
) -> Response {
    let token = random_hex(16);
    let page = Page::public(Words::of(lang).log_in, lang).login(&token, nobody, problem.as_deref());
    (status, [(header::SET_COOKIE, set_cookie(LOGIN_COOKIE, &token, secure, 3600))], page).into_response()
}

pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<LoginForm>,
) -> Response {
    let lang = lang_of(&headers);
    let w = Words::of(lang);
    // Login CSRF: the form must come from our own login page.
    if cookie(&headers, LOGIN_COOKIE).is_none_or(|c| !constant_time_eq(&c, &form.login)) {
        return login_form(lang, state.tls, false, Some(w.login_stale.into()), StatusCode::FORBIDDEN);
    }
    let name = form.name.trim().to_owned();
    let now = unix_now_ms();
    let lookup = name.clone();
    let account = match crate::run(&state, move |db| db.staff_account(&lookup)).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let wrong = |state: AppState, problem: String, status: StatusCode| async move {
        login_form(lang, state.tls, false, Some(problem), status)
    };
    // Locks are kept per name typed, known or not: the answers tell no one which names exist.
    let typed = name.clone();
    let locked_until = crate::run(&state, move |db| db.login_locked_until(&typed)).await.unwrap_or(0);
    if locked_until > now {
        let minutes = (locked_until - now + 59_999) / 60_000;
        let detail = format!("{name:?} refused while locked");
        let _ = crate::run(&state, move |db| db.audit(None, "?", "login.locked", &detail, now)).await;
        return wrong(state, w.locked(minutes), StatusCode::TOO_MANY_REQUESTS).await;
    }
    let account = account.filter(|a| a.member.active);
    // An unknown name takes the same work as a known one: no telling them apart by time.
    let (secret, hash) = (
        form.secret.clone(),
        account.as_ref().map_or_else(|| dummy_hash().to_owned(), |a| a.secret_hash.clone()),
    );
    let good = tokio::task::spawn_blocking(move || verify_secret(&secret, &hash)).await.unwrap_or(false);
    let Some(member) = account.filter(|_| good).map(|a| a.member) else {
        let typed = name.clone();
        let locked = crate::run(&state, move |db| {
            let locked = db.login_failed(&typed, now)?;
            let detail = match locked {
                Some(_) => format!("{typed:?} locked after {MAX_FAILURES} failures"),
                None => format!("{typed:?}: wrong name or secret"),
            };
            db.audit(None, "?", "login.failed", &detail, now)?;
            Ok(locked)
        })
        .await;
        return match locked {
            Ok(Some(until)) => {
                wrong(state, w.locked((until - now + 59_999) / 60_000), StatusCode::TOO_MANY_REQUESTS).await
            }
            _ => wrong(state, w.login_wrong.into(), StatusCode::UNAUTHORIZED).await,
        };
    };
    let (token, csrf) = (random_hex(32), random_hex(16));
    let (t, c) = (token.clone(), csrf.clone());
    let home = if member.role == Role::Kitchen { "/console/kitchen" } else { "/console/" };
    if let Err(e) = crate::run(&state, move |db| {
        db.login_succeeded(member.id, &t, &c, now)?;
        db.audit(Some(&member), "", "login", "", now)
    })
    .await
    {
        return e.into_response();
    }
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, home.to_owned()),
            (
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &token, state.tls, crate::db::console::SESSION_MS / 1000),
            ),
        ],
    )
        .into_response()
}

#[derive(serde::Deserialize)]
pub struct CsrfForm {
    csrf: Option<String>,
}

pub async fn logout(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Response {
    if let Some(r) = staff.refused_change(Permission::SeeOrders, &headers, form.csrf.as_deref()) {
        return r;
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        let member = staff.member.clone();
        let _ = crate::run(&state, move |db| {
            db.logout(&token)?;
            db.audit(Some(&member), "", "logout", "", unix_now_ms())
        })
        .await;
    }
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/console/login".to_owned()),
            (header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", state.tls, 0)),
        ],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_verifies_against_its_hash_only() {
        let hash = hash_secret("4821").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_secret("4821", &hash));
        assert!(!verify_secret("4822", &hash));
        assert!(check_secret("123").is_err() && check_secret("1234").is_ok());
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; kiosk_console=abc; b=2".parse().unwrap());
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
        assert!(set_cookie("x", "y", true, 5).contains("HttpOnly; SameSite=Strict; Max-Age=5; Secure"));
    }
}
