//! `kiosk menu import`: a menu from a JSON file (the full model) or a CSV file (one row per
//! item, for stores that keep their menu in a spreadsheet), checked as a whole. Any bad row
//! or field rejects the whole file and the stored menu stays as it was.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use kiosk_domain::{
    Allergen, Category, CategoryId, Currency, Item, ItemId, Lang, Menu, Money, Tag, Text, Window,
};

/// One problem in a menu file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// `row 7, column 5 (price)`, `line 12, column 3`, or a JSON path such as
    /// `items[3] "bulgogi-burger".price`.
    pub location: String,
    pub message: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

impl Format {
    pub fn of(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "json" => Some(Format::Json),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

/// Parses and validates a menu file's contents. Returns every problem found.
pub fn parse(contents: &str, format: Format) -> Result<Menu, Vec<ImportError>> {
    let menu = match format {
        Format::Json => parse_json(contents)?,
        Format::Csv => parse_csv(contents)?,
    };
    let problems = menu.validate();
    if problems.is_empty() {
        return Ok(menu);
    }
    Err(problems
        .into_iter()
        .map(|e| ImportError {
            location: match format {
                Format::Json => e.path,
                Format::Csv => csv_location(&e.path),
            },
            message: e.message,
        })
        .collect())
}

fn parse_json(contents: &str) -> Result<Menu, Vec<ImportError>> {
    serde_json::from_str(contents).map_err(|e| {
        vec![ImportError {
            location: format!("line {}, column {}", e.line(), e.column()),
            message: e.to_string().split(" at line ").next().unwrap_or_default().to_owned(),
        }]
    })
}

/// The CSV columns, in any order. `category`, `id`, `name_ko`, `name_en` and `price` are
/// required; the rest may be absent or empty. The Chinese (`_zh`) and Japanese (`_ja`) texts
/// are optional: where one is empty the screen shows the English.
pub const CSV_COLUMNS: &[&str] = &[
    "category",
    "category_ko",
    "category_en",
    "category_zh",
    "category_ja",
    "id",
    "name_ko",
    "name_en",
    "name_zh",
    "name_ja",
    "price",
    "description_ko",
    "description_en",
    "description_zh",
    "description_ja",
    "image",
    "tags",
    "allergens",
    "sold_out",
    "barcode",
    "max_per_order",
    "available",
];
const CSV_REQUIRED: &[&str] =
    &["category", "category_ko", "category_en", "id", "name_ko", "name_en", "price"];

/// Rows are numbered as a spreadsheet shows them: the header is row 1.
fn csv_location(path: &str) -> String {
    // Validator paths for CSV menus start with `items[N]` or `categories[N]`.
    let index = |prefix: &str| -> Option<(usize, &str)> {
        let rest = path.strip_prefix(prefix)?;
        let (n, tail) = rest.split_once(']')?;
        Some((n.parse().ok()?, tail))
    };
    match index("items[") {
        Some((n, tail)) => format!("row {}{tail}", n + 2),
        None => path.to_owned(),
    }
}

fn parse_csv(contents: &str) -> Result<Menu, Vec<ImportError>> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(contents.as_bytes());
    let mut errors = Vec::new();
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(vec![ImportError { location: "row 1".into(), message: e.to_string() }]),
    };
    let mut column = BTreeMap::new();
    for (i, name) in headers.iter().enumerate() {
        if !CSV_COLUMNS.contains(&name) {
            errors.push(ImportError {
                location: format!("row 1, column {}", i + 1),
                message: format!("unknown column \"{name}\" (known: {})", CSV_COLUMNS.join(", ")),
            });
        } else if column.insert(name.to_owned(), i).is_some() {
            errors.push(ImportError {
                location: format!("row 1, column {}", i + 1),
                message: format!("column \"{name}\" appears twice"),
            });
        }
    }
    for required in CSV_REQUIRED {
        if !column.contains_key(*required) {
            errors.push(ImportError {
                location: "row 1".into(),
                message: format!("missing column \"{required}\""),
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let mut categories: Vec<Category> = Vec::new();
    let mut items = Vec::new();
    for (n, record) in reader.records().enumerate() {
        let row = n + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(ImportError { location: format!("row {row}"), message: e.to_string() });
                continue;
            }
        };
        let cell = |name: &str| -> &str { column.get(name).and_then(|i| record.get(*i)).unwrap_or("") };
        let mut fail = |name: &str, message: String| {
            let col = column.get(name).map_or(0, |i| i + 1);
            errors.push(ImportError { location: format!("row {row}, column {col} ({name})"), message });
        };
        let price = match cell("price").replace(',', "").parse::<i64>() {
            Ok(p) => Money(p),
            Err(_) => {
                fail("price", format!("\"{}\" is not a whole amount in won", cell("price")));
                Money(0)
            }
        };
        let tags = parse_list::<Tag>(cell("tags")).unwrap_or_else(|bad| {
            fail("tags", format!("unknown tag \"{bad}\""));
            Vec::new()
        });
        let allergens = parse_list::<Allergen>(cell("allergens")).unwrap_or_else(|bad| {
            fail("allergens", format!("unknown allergen \"{bad}\""));
            Vec::new()
        });
        let sold_out = match cell("sold_out").to_ascii_lowercase().as_str() {
            "" | "no" | "false" | "0" | "n" => false,
            "yes" | "true" | "1" | "y" => true,
            other => {
                fail("sold_out", format!("\"{other}\" is not yes/no"));
                false
            }
        };
        let max_per_order = match cell("max_per_order") {
            "" => None,
            s => s.parse::<u32>().map(Some).unwrap_or_else(|_| {
                fail("max_per_order", format!("\"{s}\" is not a whole number"));
                None
            }),
        };
        let availability = match cell("available") {
            "" => Vec::new(),
            s => parse_window(s).map(|w| vec![w]).unwrap_or_else(|e| {
                fail("available", e);
                Vec::new()
            }),
        };
        let category_id = CategoryId(cell("category").to_owned());
        // A text in every language with a non-empty cell (`base_ko`, `base_en`, …).
        let text = |base: &str| {
            Text(
                Lang::ALL
                    .into_iter()
                    .filter_map(|l| {
                        let value = cell(&format!("{base}_{}", l.code()));
                        (!value.is_empty() || Lang::REQUIRED.contains(&l)).then(|| (l, value.to_owned()))
                    })
                    .collect(),
            )
        };
        let category_name = text("category");
        match categories.iter().find(|c| c.id == category_id) {
            Some(existing) if existing.name != category_name => fail(
                "category_ko",
                format!("category \"{category_id}\" was named differently in an earlier row"),
            ),
            Some(_) => {}
            None => categories.push(Category {
                id: category_id.clone(),
                name: category_name,
                image: None,
                availability: vec![],
            }),
        }
        let optional = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let description = Some(text("description")).filter(|d| d.0.values().any(|v| !v.is_empty()));
        items.push(Item {
            id: ItemId(cell("id").to_owned()),
            category: category_id,
            name: text("name"),
            description,
            price,
            image: optional(cell("image")),
            tags,
            allergens,
            option_groups: Vec::new(),
            set: None,
            sold_out,
            availability,
            max_per_order,
            barcode: optional(cell("barcode")),
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Menu {
        version: format!("csv-{:016x}", fnv1a(contents.as_bytes())),
        currency: Currency::Krw,
        vat_rate: None,
        languages: Lang::REQUIRED.to_vec(),
        categories,
        items,
        option_groups: Vec::new(),
        // A spreadsheet holds items only: presets come with a JSON menu or the store console.
        note_presets: Vec::new(),
        suggestions: Vec::new(),
        stamps: None,
    })
}

/// `a;b;c` of snake_case names, parsed with the types' serde names.
fn parse_list<T: serde::de::DeserializeOwned>(cell: &str) -> Result<Vec<T>, String> {
    cell.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| serde_json::from_value(serde_json::Value::String(s.to_owned())).map_err(|_| s.to_owned()))
        .collect()
}

/// `HH:MM-HH:MM`, every day.
fn parse_window(s: &str) -> Result<Window, String> {
    let (from, until) = s.split_once('-').ok_or_else(|| format!("\"{s}\" is not HH:MM-HH:MM"))?;
    Ok(Window { days: Vec::new(), from: from.trim().parse()?, until: until.trim().parse()? })
}

/// A stable content hash for the menu version of a CSV file (FNV-1a, 64 bit).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// Why a menu file could not be read: the file itself, or every problem in it.
#[derive(Debug, thiserror::Error)]
pub enum MenuFileError {
    #[error("use a .json or .csv file")]
    UnknownFormat,
    #[error("{0}")]
    Read(#[from] std::io::Error),
    #[error("{} problem(s): {}", .0.len(), .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<ImportError>),
}

/// Reads and checks a menu file (JSON or CSV by its extension).
pub fn read_menu_file(path: &Path) -> Result<Menu, MenuFileError> {
    let format = Format::of(path).ok_or(MenuFileError::UnknownFormat)?;
    let contents = std::fs::read_to_string(path)?;
    parse(&contents, format).map_err(MenuFileError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Chinese and Japanese columns are optional, per cell: an empty one leaves the text to
    /// fall back to English on the screen, never a blank.
    #[test]
    fn a_spreadsheet_carries_chinese_and_japanese_texts_where_it_has_them() {
        let csv = "category,category_ko,category_en,category_zh,category_ja,id,name_ko,name_en,name_zh,name_ja,price,description_ko,description_en,description_ja\n\
                   coffee,커피,Coffee,咖啡,コーヒー,americano,아메리카노,Americano,美式咖啡,アメリカーノ,4500,진한 맛,Dark roast,深煎り\n\
                   coffee,커피,Coffee,咖啡,コーヒー,latte,카페 라떼,Caffè latte,,,5000,,,\n";
        let menu = parse(csv, Format::Csv).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(menu.categories[0].name.get(Lang::Zh), "咖啡");
        let (americano, latte) = (&menu.items[0], &menu.items[1]);
        assert_eq!(
            (americano.name.get(Lang::Zh), americano.name.get(Lang::Ja)),
            ("美式咖啡", "アメリカーノ")
        );
        assert_eq!((latte.name.get(Lang::Zh), latte.name.get(Lang::Ja)), ("Caffè latte", "Caffè latte"));
        assert_eq!(americano.description.as_ref().map(|d| d.get(Lang::Ja)), Some("深煎り"));
        assert_eq!(latte.description, None);
        assert!(menu.validate().is_empty(), "{:?}", menu.validate());
    }
}
