//! A reader over a spanned TOML document that collects every problem instead of stopping at
//! the first, each with its dotted key and line. Keys a section never asks for are reported
//! as unknown when the section is finished.

use std::collections::BTreeSet;
use std::fmt;
use std::ops::Range;

use toml_edit::{Item, TableLike, Value};

/// One problem in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Dotted key, e.g. `devices.printer.baud`; empty for a syntax error.
    pub key: String,
    /// 1-based line of the offending key or value.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}: {}", self.line, self.message)
        } else {
            write!(f, "{}: {}: {}", self.line, self.key, self.message)
        }
    }
}

pub struct Reader<'s> {
    src: &'s str,
    pub errors: Vec<ConfigError>,
}

impl<'s> Reader<'s> {
    pub fn new(src: &'s str) -> Reader<'s> {
        Reader { src, errors: Vec::new() }
    }

    pub fn line_of(&self, span: Option<Range<usize>>) -> usize {
        let at = span.map_or(0, |s| s.start).min(self.src.len());
        self.src[..at].bytes().filter(|b| *b == b'\n').count() + 1
    }

    pub fn error(&mut self, key: &str, span: Option<Range<usize>>, message: impl Into<String>) {
        let line = self.line_of(span);
        self.errors.push(ConfigError { key: key.to_owned(), line, message: message.into() });
    }
}

/// One table of the document, with the keys read so far.
pub struct Section<'d> {
    pub path: String,
    table: Option<&'d dyn TableLike>,
    span: Option<Range<usize>>,
    used: BTreeSet<String>,
}

impl<'d> Section<'d> {
    pub fn root(table: &'d dyn TableLike) -> Section<'d> {
        Section { path: String::new(), table: Some(table), span: None, used: BTreeSet::new() }
    }

    /// Whether the table is present in the file at all.
    pub fn present(&self) -> bool {
        self.table.is_some()
    }

    pub fn span(&self) -> Option<Range<usize>> {
        self.span.clone()
    }

    pub fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() { key.to_owned() } else { format!("{}.{key}", self.path) }
    }

    fn take(&mut self, key: &str) -> Option<(&'d Item, Option<Range<usize>>)> {
        self.used.insert(key.to_owned());
        let (k, item) = self.table?.get_key_value(key)?;
        Some((item, item.span().or_else(|| k.span())))
    }

    /// Whether `key` is present (marks it as known).
    pub fn has(&mut self, key: &str) -> bool {
        self.take(key).is_some()
    }

    /// A sub-table (`[a.b]` or an inline table); absent is not an error.
    pub fn table(&mut self, r: &mut Reader, key: &str) -> Section<'d> {
        let path = self.key_path(key);
        let mut section = Section { path, table: None, span: self.span.clone(), used: BTreeSet::new() };
        if let Some((item, span)) = self.take(key) {
            section.span = span.clone();
            match item.as_table_like() {
                Some(t) => section.table = Some(t),
                None => r.error(&section.path, span, format!("expected a table, found {}", item.type_name())),
            }
        }
        section
    }

    /// Reads a value with `convert`, which says what was expected when it returns `Err`.
    pub fn value<T>(
        &mut self,
        r: &mut Reader,
        key: &str,
        convert: impl FnOnce(&Value) -> Result<T, String>,
    ) -> Option<T> {
        let (item, span) = self.take(key)?;
        let result = match item.as_value() {
            Some(v) => convert(v),
            None => Err(format!("expected a value, found {}", item.type_name())),
        };
        match result {
            Ok(v) => Some(v),
            Err(message) => {
                r.error(&self.key_path(key), span, message);
                None
            }
        }
    }

    /// Like [`Section::value`], and reports the key as missing when absent.
    pub fn required<T>(
        &mut self,
        r: &mut Reader,
        key: &str,
        convert: impl FnOnce(&Value) -> Result<T, String>,
    ) -> Option<T> {
        if self.table.is_some_and(|t| t.contains_key(key)) {
            self.value(r, key, convert)
        } else {
            self.used.insert(key.to_owned());
            let path = self.key_path(key);
            if self.table.is_some() || self.path.is_empty() {
                let where_ = if self.path.is_empty() {
                    "the top level".to_owned()
                } else {
                    format!("[{}]", self.path)
                };
                r.error(&path, self.span.clone(), format!("missing; add `{key} = …` to {where_}"));
            } else {
                r.error(
                    &path,
                    self.span.clone(),
                    format!("missing; add a [{}] table with `{key}`", self.path),
                );
            }
            None
        }
    }

    /// The span of a key's value, for errors found after reading (cross-field checks).
    pub fn span_of(&self, key: &str) -> Option<Range<usize>> {
        let (k, item) = self.table?.get_key_value(key)?;
        item.span().or_else(|| k.span())
    }

    /// Reports every key of this table that was never read.
    pub fn finish(self, r: &mut Reader) {
        let Some(table) = self.table else { return };
        for (key, item) in table.iter() {
            if !self.used.contains(key) {
                let span = table.get_key_value(key).and_then(|(k, _)| k.span()).or_else(|| item.span());
                r.error(&self.key_path(key), span, "unknown key");
            }
        }
    }
}

// Converters: each returns what was expected when the value does not fit.

pub fn string(v: &Value) -> Result<String, String> {
    v.as_str().map(str::to_owned).ok_or_else(|| format!("expected a string, found {}", v.type_name()))
}

pub fn non_empty(v: &Value) -> Result<String, String> {
    let s = string(v)?;
    if s.trim().is_empty() { Err("must not be empty".to_owned()) } else { Ok(s) }
}

pub fn boolean(v: &Value) -> Result<bool, String> {
    v.as_bool().ok_or_else(|| format!("expected true or false, found {}", v.type_name()))
}

pub fn int_in(min: i64, max: i64) -> impl Fn(&Value) -> Result<i64, String> {
    move |v| {
        let n = v.as_integer().ok_or_else(|| format!("expected an integer, found {}", v.type_name()))?;
        if (min..=max).contains(&n) { Ok(n) } else { Err(format!("{n} is out of range ({min}–{max})")) }
    }
}

pub fn one_of<T: Copy>(choices: &'static [(&'static str, T)]) -> impl Fn(&Value) -> Result<T, String> {
    move |v| {
        let s = string(v)?;
        choices.iter().find(|(name, _)| *name == s).map(|(_, t)| *t).ok_or_else(|| {
            let names: Vec<_> = choices.iter().map(|(n, _)| format!("\"{n}\"")).collect();
            format!("\"{s}\" is not one of {}", names.join(", "))
        })
    }
}

/// A panel's visible size, `[width, height]` in millimetres (20 to 2000 each).
pub fn millimetres_pair(v: &Value) -> Result<(u16, u16), String> {
    let array =
        v.as_array().ok_or_else(|| format!("expected [width, height] in mm, found {}", v.type_name()))?;
    let sizes: Vec<i64> = array
        .iter()
        .map(|item| int_in(20, 2000)(item).map_err(|e| format!("in the array: {e}")))
        .collect::<Result<_, _>>()?;
    match sizes[..] {
        [w, h] => Ok((w as u16, h as u16)),
        _ => Err(format!("expected two sizes, [width, height] in mm, found {}", sizes.len())),
    }
}

pub fn strings(v: &Value) -> Result<Vec<String>, String> {
    let array =
        v.as_array().ok_or_else(|| format!("expected an array of strings, found {}", v.type_name()))?;
    array.iter().map(|item| string(item).map_err(|e| format!("in the array: {e}"))).collect()
}
