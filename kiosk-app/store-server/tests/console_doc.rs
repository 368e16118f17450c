//! `CONSOLE.md` against the console's routes. Every path `routes()` in `src/console/mod.rs`
//! serves has its section (a `###` heading naming the path in backticks, then its methods)
//! and its row in the summary table (the path in backticks in the first cell, the methods in
//! the second), with the methods the route has; every path such a heading or row names is
//! one `routes()` serves; and every console path the text mentions anywhere else in
//! backticks (`/console…`, `/board/…`, `/r/…`; a query or fragment aside) is one of them.
//!
//! The routes are read from the source text: each `.route(` call in `routes()`, however it is
//! split across lines, its first argument the path (a string literal), its methods the
//! `get(…)`, `.post(…)`, … of the method router in its second. A route this reading cannot
//! check (a path that is not a literal, `.nest`, `.merge`) fails the test rather than being
//! skipped.

use std::collections::{BTreeMap, BTreeSet};

const ROUTES_RS: &str = include_str!("../src/console/mod.rs");
const DOC: &str = include_str!("../CONSOLE.md");

const METHODS: [&str; 7] = ["get", "post", "put", "delete", "patch", "head", "options"];

/// A route as `routes()` declares it: its path and its methods (upper case).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Route {
    path: String,
    methods: BTreeSet<String>,
}

// --- reading Rust source -------------------------------------------------------------------

/// Where the code at `i` is not code: the end of a comment, string or character literal
/// starting at `i`, or `None` when `i` starts code.
fn skip_non_code(src: &[u8], i: usize) -> Option<usize> {
    let at = |k: usize| src.get(k).copied();
    match (at(i), at(i + 1)) {
        (Some(b'/'), Some(b'/')) => {
            Some(src[i..].iter().position(|&b| b == b'\n').map_or(src.len(), |n| i + n))
        }
        (Some(b'/'), Some(b'*')) => {
            let (mut k, mut depth) = (i + 2, 1);
            while k < src.len() && depth > 0 {
                if src[k..].starts_with(b"/*") {
                    depth += 1;
                    k += 2;
                } else if src[k..].starts_with(b"*/") {
                    depth -= 1;
                    k += 2;
                } else {
                    k += 1;
                }
            }
            Some(k)
        }
        (Some(b'"'), _) => Some(string_literal(src, i).map_or(src.len(), |(_, end)| end)),
        (Some(b'r'), Some(b'"' | b'#')) if i == 0 || !is_ident(src[i - 1]) => {
            string_literal(src, i).map(|(_, end)| end)
        }
        (Some(b'b'), Some(b'"')) if i == 0 || !is_ident(src[i - 1]) => {
            Some(string_literal(src, i + 1).map_or(src.len(), |(_, end)| end))
        }
        // A character literal ('x', '\n', '\''); a lifetime ('a) is code.
        (Some(b'\''), Some(b'\\')) => {
            Some(src[i + 2..].iter().position(|&b| b == b'\'').map_or(src.len(), |n| i + 2 + n + 1))
        }
        (Some(b'\''), Some(first)) => {
            // One character (of 1 to 4 bytes in UTF-8) and a closing quote.
            let len = match first {
                0xF0.. => 4,
                0xE0.. => 3,
                0xC0.. => 2,
                _ => 1,
            };
            (at(i + 1 + len) == Some(b'\'')).then_some(i + 2 + len)
        }
        _ => None,
    }
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The string literal at `i` (`"…"` with escapes, or raw `r"…"`, `r#"…"#`): its value and
/// the index after it.
fn string_literal(src: &[u8], i: usize) -> Option<(String, usize)> {
    if src.get(i) == Some(&b'r') {
        let hashes = src[i + 1..].iter().take_while(|&&b| b == b'#').count();
        let open = i + 1 + hashes;
        if src.get(open) != Some(&b'"') {
            return None;
        }
        let close: Vec<u8> = std::iter::once(b'"').chain(std::iter::repeat_n(b'#', hashes)).collect();
        let len = src[open + 1..].windows(close.len()).position(|w| w == close.as_slice())?;
        let value = String::from_utf8(src[open + 1..open + 1 + len].to_vec()).ok()?;
        return Some((value, open + 1 + len + close.len()));
    }
    if src.get(i) != Some(&b'"') {
        return None;
    }
    let mut value = Vec::new();
    let mut k = i + 1;
    while k < src.len() {
        match src[k] {
            b'"' => return Some((String::from_utf8(value).ok()?, k + 1)),
            b'\\' => {
                match src.get(k + 1)? {
                    b'n' => value.push(b'\n'),
                    b't' => value.push(b'\t'),
                    b'\n' => {
                        // A line continuation: the next line's leading white space goes too.
                        k += 2;
                        while src.get(k).is_some_and(u8::is_ascii_whitespace) {
                            k += 1;
                        }
                        continue;
                    }
                    &other => value.push(other),
                }
                k += 2;
            }
            b => {
                value.push(b);
                k += 1;
            }
        }
    }
    None
}

/// The index after white space and comments from `i`.
fn skip_blank(src: &[u8], mut i: usize) -> usize {
    loop {
        if src.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        } else if src[i..].starts_with(b"//") || src[i..].starts_with(b"/*") {
            i = skip_non_code(src, i).expect("a comment");
        } else {
            return i;
        }
    }
}

/// The index of the bracket closing the one at `open` (`(`, `[` or `{`).
fn closing(src: &[u8], open: usize) -> usize {
    let mut depth = 0usize;
    let mut k = open;
    while k < src.len() {
        if let Some(end) = skip_non_code(src, k) {
            k = end;
            continue;
        }
        match src[k] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
        k += 1;
    }
    panic!("no bracket closes the one at byte {open}");
}

/// The body of `pub fn routes()` in `src`, braces excluded.
fn routes_body(src: &str) -> &str {
    let start = src.find("pub fn routes()").expect("src/console/mod.rs has `pub fn routes()`");
    let open = start + src[start..].find('{').expect("routes() has a body");
    let close = closing(src.as_bytes(), open);
    &src[open + 1..close]
}

/// The methods a method router's expression (`get(a).post(b).layer(…)`) routes: the calls
/// of `get`, `post`, … at its top level (not inside another call's arguments).
fn methods_of(expr: &[u8]) -> BTreeSet<String> {
    let mut methods = BTreeSet::new();
    let mut depth = 0usize;
    let mut k = 0;
    while k < expr.len() {
        if let Some(end) = skip_non_code(expr, k) {
            k = end;
            continue;
        }
        match expr[k] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b if depth == 0 && is_ident(b) && (k == 0 || !is_ident(expr[k - 1])) => {
                let len = expr[k..].iter().take_while(|&&b| is_ident(b)).count();
                let word = std::str::from_utf8(&expr[k..k + len]).unwrap_or("");
                let after = skip_blank(expr, k + len);
                if METHODS.contains(&word) && expr.get(after) == Some(&b'(') {
                    methods.insert(word.to_uppercase());
                }
                k += len;
                continue;
            }
            _ => {}
        }
        k += 1;
    }
    methods
}

/// Every `.route(PATH, METHOD_ROUTER)` call in `body`, in order.
fn parse_routes(body: &str) -> Vec<Route> {
    let src = body.as_bytes();
    let mut routes = Vec::new();
    let mut k = 0;
    while k < src.len() {
        if let Some(end) = skip_non_code(src, k) {
            k = end;
            continue;
        }
        if src[k] != b'.' {
            k += 1;
            continue;
        }
        let name_at = skip_blank(src, k + 1);
        let len = src[name_at..].iter().take_while(|&&b| is_ident(b)).count();
        let name = &body[name_at..name_at + len];
        let open = skip_blank(src, name_at + len);
        if len == 0 || src.get(open) != Some(&b'(') {
            k += 1;
            continue;
        }
        match name {
            "route" => {}
            "nest" | "nest_service" | "merge" | "route_service" | "fallback" | "fallback_service" => panic!(
                "routes() calls .{name}(…): this test reads only .route(\"PATH\", …) and cannot tell which \
                 paths that serves; teach it, or declare the routes with .route"
            ),
            _ => {
                k = open;
                continue;
            }
        }
        let close = closing(src, open);
        let path_at = skip_blank(src, open + 1);
        let (path, after_path) = string_literal(src, path_at).unwrap_or_else(|| {
            panic!(
                "a .route( call in routes() does not start with a string literal: {:?}",
                &body[open..=close]
            )
        });
        let comma = skip_blank(src, after_path);
        assert_eq!(src.get(comma), Some(&b','), ".route({path:?} …) has no method router");
        let methods = methods_of(&src[comma + 1..close]);
        assert!(!methods.is_empty(), ".route({path:?}, …): no get(…), post(…), … found in its method router");
        routes.push(Route { path, methods });
        k = close + 1;
    }
    routes
}

// --- reading CONSOLE.md ----------------------------------------------------------------------

/// The backtick spans of a line of Markdown (single backticks).
fn code_spans(line: &str) -> Vec<&str> {
    line.split('`').enumerate().filter(|(i, _)| i % 2 == 1).map(|(_, s)| s).collect()
}

fn is_console_path(s: &str) -> bool {
    s == "/console" || s.starts_with("/console/") || s.starts_with("/board/") || s.starts_with("/r/")
}

/// The methods named (upper case) in `text`.
fn methods_named(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| METHODS.iter().any(|m| m.to_uppercase() == *w))
        .map(str::to_owned)
        .collect()
}

/// What CONSOLE.md says, by where it says it: route headings and table rows (path, methods,
/// line number), and every other console path it mentions (with its line number).
#[derive(Default, Debug)]
struct Doc {
    headings: Vec<(String, BTreeSet<String>, usize)>,
    rows: Vec<(String, BTreeSet<String>, usize)>,
    mentions: Vec<(String, usize)>,
}

fn read_doc(doc: &str) -> Doc {
    let mut out = Doc::default();
    let mut fenced = false;
    for (n, line) in doc.lines().enumerate() {
        let n = n + 1;
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let spans = code_spans(line);
        let mut claimed = None;
        if let Some(rest) = trimmed.strip_prefix("### ") {
            if let Some(first) = spans.first().filter(|s| is_console_path(s)) {
                let after = rest.split_once(&format!("`{first}`")).map_or("", |(_, a)| a);
                out.headings.push(((*first).to_owned(), methods_named(after), n));
                claimed = Some(*first);
            }
        } else if trimmed.starts_with('|') {
            let cells: Vec<&str> = trimmed.trim_matches('|').split('|').map(str::trim).collect();
            if let Some(path) =
                cells.first().and_then(|c| c.strip_prefix('`')).and_then(|c| c.strip_suffix('`'))
                && is_console_path(path)
            {
                let methods = cells.get(1).map(|c| methods_named(c)).unwrap_or_default();
                out.rows.push((path.to_owned(), methods, n));
                claimed = Some(path);
            }
        }
        for (i, span) in spans.iter().enumerate() {
            if i == 0 && claimed == Some(*span) {
                continue;
            }
            if is_console_path(span) {
                out.mentions.push(((*span).to_owned(), n));
            }
        }
    }
    out
}

/// Whether a path the text mentions is one the route serves: the same segments, a
/// `{parameter}` of the route matching any one segment (a `{name}` in the text only a
/// parameter); a query or fragment is not part of the path.
fn serves(route: &str, mentioned: &str) -> bool {
    let path = mentioned.split(['?', '#']).next().unwrap_or("");
    let (r, m): (Vec<&str>, Vec<&str>) = (route.split('/').collect(), path.split('/').collect());
    let param = |s: &str| s.starts_with('{') && s.ends_with('}');
    r.len() == m.len()
        && r.iter()
            .zip(&m)
            .all(|(r, m)| if param(r) { !m.is_empty() && (param(m) || !m.contains('{')) } else { r == m })
}

/// Everything CONSOLE.md and routes() disagree on.
fn disagreements(routes: &[Route], doc: &Doc) -> Vec<String> {
    let mut problems = Vec::new();
    let declared: BTreeMap<&str, &BTreeSet<String>> =
        routes.iter().map(|r| (r.path.as_str(), &r.methods)).collect();
    for (kind, entries) in [("heading", &doc.headings), ("table row", &doc.rows)] {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (path, methods, line) in entries {
            if let Some(first) = seen.insert(path, *line) {
                problems.push(format!(
                    "CONSOLE.md:{line}: a second {kind} for `{path}` (the first at line {first})"
                ));
            }
            match declared.get(path.as_str()) {
                None => problems.push(format!(
                    "CONSOLE.md:{line}: the {kind} documents `{path}`, which routes() in src/console/mod.rs does not have"
                )),
                Some(want) if *want != methods => problems.push(format!(
                    "CONSOLE.md:{line}: the {kind} of `{path}` says {methods:?}; routes() has {want:?}"
                )),
                Some(_) => {}
            }
        }
        for route in routes {
            if !seen.contains_key(route.path.as_str()) {
                problems.push(format!(
                    "`{}` ({:?}) is in routes() but CONSOLE.md has no {kind} for it (a `### \\`{}\\` — METHODS` \
                     section and a row of the summary table)",
                    route.path, route.methods, route.path
                ));
            }
        }
    }
    for (path, line) in &doc.mentions {
        if !routes.iter().any(|r| serves(&r.path, path)) {
            problems.push(format!("CONSOLE.md:{line}: `{path}` is not a path routes() serves"));
        }
    }
    problems
}

// --- the tests -------------------------------------------------------------------------------

#[test]
fn every_console_route_is_documented_and_nothing_else_is() {
    let body = routes_body(ROUTES_RS);
    let routes = parse_routes(body);
    assert!(!routes.is_empty(), "no .route( calls found in routes()");
    let doc = read_doc(DOC);
    let problems = disagreements(&routes, &doc);
    assert!(
        problems.is_empty(),
        "CONSOLE.md and the console's routes disagree ({} problem(s)):\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
    println!(
        "{} routes in routes(), each with its CONSOLE.md section and table row; {} other console paths mentioned, each served",
        routes.len(),
        doc.mentions.len()
    );
}

#[test]
fn routes_are_read_however_the_call_is_laid_out() {
    let src = r#"
        pub fn routes() -> Router<AppState> {
            Router::new()
                // .route("/commented-out", get(nothing))
                .route("/a", get(|| async { Redirect::permanent("/not-a-route") }))
                .route(
                    "/b/{id}",
                    get(b::page)
                        .post(b::save)
                        .layer(DefaultBodyLimit::max(1 + 2)),
                )
                .route  ( "/c", axum::routing::post(c) /* .get(x) */ )
                .route(r"/d", get(|s: String| async move { s.get(0..1).map(str::to_owned) }))
                .layer(axum::middleware::map_response(headers))
        }
        fn other() { Router::new().route("/elsewhere", get(x)); }
    "#;
    let routes = parse_routes(routes_body(src));
    let got: Vec<(String, Vec<String>)> =
        routes.into_iter().map(|r| (r.path, r.methods.into_iter().collect())).collect();
    let want = |p: &str, m: &[&str]| (p.to_owned(), m.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert_eq!(
        got,
        vec![
            want("/a", &["GET"]),
            want("/b/{id}", &["GET", "POST"]),
            want("/c", &["POST"]),
            want("/d", &["GET"])
        ]
    );
}

#[test]
fn the_check_fails_both_ways() {
    let routes = vec![
        Route { path: "/console/".into(), methods: BTreeSet::from(["GET".to_owned()]) },
        Route { path: "/console/orders/{id}/ready".into(), methods: BTreeSet::from(["POST".to_owned()]) },
    ];
    let good = "| Path | Methods |\n|---|---|\n| `/console/` | GET |\n| `/console/orders/{id}/ready` | POST |\n\n\
                ### `/console/` — GET\n\nSee `/console/orders/1234/ready?x=1`.\n\n\
                ### `/console/orders/{id}/ready` — POST\n";
    assert_eq!(disagreements(&routes, &read_doc(good)), Vec::<String>::new());
    // A route without its section.
    let missing = good.replace("### `/console/` — GET\n", "");
    assert_eq!(disagreements(&routes, &read_doc(&missing)).len(), 1);
    // A section for a path that is not served, and a mention of one.
    let extra = format!("{good}\n### `/console/gone` — GET\n\nAnd `/console/gone/too`.\n");
    assert_eq!(disagreements(&routes, &read_doc(&extra)).len(), 2, "{:?}", read_doc(&extra));
    // The wrong methods.
    let wrong = good.replace("### `/console/` — GET", "### `/console/` — GET, POST");
    assert_eq!(disagreements(&routes, &read_doc(&wrong)).len(), 1);
    // Code blocks are not documentation of routes.
    let fenced = format!("{good}\n```\n### `/console/nope` — GET\n```\n");
    assert!(disagreements(&routes, &read_doc(&fenced)).is_empty());
}
