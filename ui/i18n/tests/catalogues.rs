//! Every customer-visible string in the `.slint` files and in the session's sentences is in
//! every catalogue, translated with the same placeholders, and every entry is used.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use kiosk_domain::Lang;

/// A msgid found in the sources, and whether it was used with a plural form.
type Used = BTreeMap<String, (bool, String)>;

fn sources(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// The string literal at the start of `s` (after whitespace), unescaped, and what follows.
fn literal(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start().strip_prefix('"')?;
    let mut text = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((text, &s[i + 1..])),
            '\\' => match chars.next()?.1 {
                'n' => text.push('\n'),
                't' => text.push('\t'),
                other => text.push(other),
            },
            c => text.push(c),
        }
    }
    None
}

fn slint_strings(used: &mut Used) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui");
    let mut files = Vec::new();
    sources(&root, "slint", &mut files);
    assert!(files.len() > 5, "the .slint files were found under {}", root.display());
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (at, _) in text.match_indices("@tr(") {
            let where_ = format!("{}:{}", file.display(), text[..at].lines().count());
            let (msgid, rest) =
                literal(&text[at + 4..]).unwrap_or_else(|| panic!("{where_}: @tr without a literal"));
            // `@tr("one" | "many" % n)`: the plural form follows a bar
            let plural = rest.trim_start().strip_prefix('|').and_then(literal).is_some();
            used.insert(msgid, (plural, where_));
        }
    }
}

/// `tr(lang, "…")`, `trf(lang, "…", …)` and `trn(lang, "…", "…", …)` calls in the session.
fn session_strings(used: &mut Used) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../kiosk-app/session/src");
    let mut files = Vec::new();
    sources(&root, "rs", &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for call in ["tr(", "trf(", "trn("] {
            for (at, _) in text.match_indices(call) {
                let before = text[..at].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') || text[..at].ends_with("fn ") {
                    continue;
                }
                let where_ = format!("{}:{}", file.display(), text[..at].lines().count());
                let args = &text[at + call.len()..];
                // the first argument is the language
                let Some(comma) = args.find(',') else { continue };
                let Some((msgid, _)) = literal(&args[comma + 1..]) else {
                    panic!("{where_}: {call}…) without a literal msgid: the catalogue test cannot see it")
                };
                used.insert(msgid, (call == "trn(", where_));
            }
        }
    }
}

#[test]
fn every_string_is_translated_in_every_catalogue_and_every_entry_is_used() {
    let mut used = Used::new();
    slint_strings(&mut used);
    let from_slint = used.len();
    session_strings(&mut used);
    assert!(
        from_slint > 40 && used.len() > from_slint + 40,
        "{from_slint} strings in .slint, {} in all",
        used.len()
    );

    let catalogues: BTreeMap<&str, BTreeMap<&str, &[String]>> =
        kiosk_i18n::catalogues().map(|(code, entries)| (code, entries.collect())).collect();
    // Every language a store can offer has a complete catalogue, not only the two a menu
    // must have.
    for lang in Lang::ALL {
        assert!(catalogues.contains_key(lang.code()), "no catalogue for {}", lang.code());
    }
    let mut problems = Vec::new();
    for (code, entries) in &catalogues {
        for (msgid, (plural, where_)) in &used {
            match entries.get(msgid.as_str()) {
                None => problems.push(format!("{code}: {msgid:?} ({where_}) is not in the catalogue")),
                Some(forms) if forms.iter().any(|f| f.is_empty()) => {
                    problems.push(format!("{code}: {msgid:?} ({where_}) is not translated"))
                }
                Some(forms) => {
                    let want = kiosk_i18n::placeholders(msgid);
                    for form in *forms {
                        let mut got = kiosk_i18n::placeholders(form);
                        if *plural {
                            got.retain(|p| p != "n");
                        }
                        let mut want = want.clone();
                        want.retain(|p| p != "n");
                        if got != want {
                            problems.push(format!(
                                "{code}: {form:?} has placeholders {got:?}; {msgid:?} has {want:?}"
                            ));
                        }
                    }
                }
            }
        }
        let stale: BTreeSet<&&str> = entries.keys().filter(|m| !used.contains_key(**m)).collect();
        if !stale.is_empty() {
            problems.push(format!("{code}: entries nothing uses: {stale:?}"));
        }
    }
    assert!(problems.is_empty(), "{} catalogue problems:\n{}", problems.len(), problems.join("\n"));
    println!("{} strings ({} in .slint), in {} catalogues", used.len(), from_slint, catalogues.len());
}
