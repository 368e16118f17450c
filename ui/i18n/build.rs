//! Turns `translations/<lang>/LC_MESSAGES/kiosk-ui.po` into sorted tables the library
//! searches, so the device parses no .po file at run time and a broken catalogue fails the
//! build, not a customer's screen. The tables go into the binary zlib-compressed (a third of
//! their size: four languages of words would otherwise cost the device binary's budget some
//! 100 KB of strings and pointers); the library inflates them on first use. The same folder is what the UI's build bundles into the
//! `.slint` code (`@tr`), so one catalogue serves both.

use std::path::Path;

fn main() {
    let dir = Path::new("translations");
    println!("cargo:rerun-if-changed=translations");
    let mut langs: Vec<String> = std::fs::read_dir(dir)
        .expect("translations/ is readable")
        .map(|e| e.expect("a directory entry").file_name().to_string_lossy().into_owned())
        .collect();
    langs.sort();
    // Little-endian: per catalogue its code, plural rule (0 one form, 1 one/other) and entry
    // count, then per entry its msgid and forms; every string as a u32 length and UTF-8.
    let mut out: Vec<u8> = Vec::new();
    let text = |out: &mut Vec<u8>, s: &str| {
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    };
    out.extend_from_slice(&(langs.len() as u32).to_le_bytes());
    for lang in &langs {
        let path = dir.join(lang).join("LC_MESSAGES").join("kiosk-ui.po");
        println!("cargo:rerun-if-changed={}", path.display());
        let po = rspolib::pofile(path.to_str().expect("a UTF-8 path"))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let rule = po.metadata.get("Plural-Forms").map(String::as_str).unwrap_or("");
        let rule = plural_rule(rule).unwrap_or_else(|| {
            panic!("{}: Plural-Forms {rule:?} is not one this crate evaluates (nplurals=1; plural=0 or nplurals=2; plural=(n != 1))", path.display())
        });
        let mut entries: Vec<(String, Vec<String>)> = po
            .entries
            .iter()
            .filter(|e| !e.obsolete && !e.msgid.is_empty())
            .map(|e| {
                assert!(
                    e.msgctxt.is_none(),
                    "{}: {:?} has a context; the UI uses none",
                    path.display(),
                    e.msgid
                );
                let forms = if e.msgid_plural.is_some() {
                    e.msgstr_plural.clone()
                } else {
                    vec![e.msgstr.clone().unwrap_or_default()]
                };
                (e.msgid.clone(), forms)
            })
            .collect();
        entries.sort();
        if let Some(w) = entries.windows(2).find(|w| w[0].0 == w[1].0) {
            panic!("{}: {:?} appears twice", path.display(), w[0].0);
        }
        text(&mut out, lang);
        out.push(u8::from(rule == "OneOther"));
        out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
        for (msgid, forms) in &entries {
            text(&mut out, msgid);
            out.push(u8::try_from(forms.len()).expect("at most 255 plural forms"));
            for form in forms {
                text(&mut out, form);
            }
        }
    }
    let compressed = miniz_oxide::deflate::compress_to_vec_zlib(&out, 10);
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("catalogues.bin");
    std::fs::write(dest, compressed).expect("OUT_DIR is writable");
}

/// The plural rules of the languages we ship; anything else is refused at build time
/// rather than evaluated wrongly.
fn plural_rule(header: &str) -> Option<&'static str> {
    let compact: String = header.chars().filter(|c| !c.is_whitespace()).collect();
    match compact.trim_end_matches(';') {
        "nplurals=1;plural=0" => Some("One"),
        "nplurals=2;plural=(n!=1)" | "nplurals=2;plural=n!=1" => Some("OneOther"),
        _ => None,
    }
}
