//! Settings the operator changes on the device itself (table number, volume, idle timeout,
//! default language). They override the configuration file and outlive restarts; every
//! change is audited like any other.

use kiosk_domain::{DeviceSetting, Lang};
use rusqlite::params;

use super::{Actor, Result, Store, StoreError, audit};

/// The key and value a setting is kept under.
fn key(setting: &DeviceSetting) -> &'static str {
    match setting {
        DeviceSetting::Table(_) => "table",
        DeviceSetting::Volume(_) => "volume",
        DeviceSetting::IdleTimeoutS(_) => "idle_timeout_s",
        DeviceSetting::Language(_) => "language",
    }
}

fn value(setting: &DeviceSetting) -> String {
    match setting {
        DeviceSetting::Table(t) => t.clone(),
        DeviceSetting::Volume(v) => v.to_string(),
        DeviceSetting::IdleTimeoutS(s) => s.to_string(),
        DeviceSetting::Language(l) => l.code().to_owned(),
    }
}

impl Store {
    pub fn set_device_setting(&mut self, setting: &DeviceSetting, actor: Actor, now_ms: i64) -> Result<()> {
        let tx = self.write()?;
        let (key, value) = (key(setting), value(setting));
        tx.execute(
            "INSERT INTO device_settings (key, value, at_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, at_ms = excluded.at_ms",
            params![key, value, now_ms],
        )?;
        audit(&tx, now_ms, actor, "settings.set", None, &format!("{key} = {value}"))?;
        tx.commit()?;
        Ok(())
    }

    /// The settings the operator changed, to apply over the configuration file.
    pub fn device_settings(&self) -> Result<Vec<DeviceSetting>> {
        let mut stmt = self.conn.prepare("SELECT key, value FROM device_settings ORDER BY key")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (key, value) = row?;
            let setting = match key.as_str() {
                "table" => Some(DeviceSetting::Table(value.clone())),
                "volume" => value.parse().ok().map(DeviceSetting::Volume),
                "idle_timeout_s" => value.parse().ok().map(DeviceSetting::IdleTimeoutS),
                "language" => Lang::from_code(&value).map(DeviceSetting::Language),
                // A setting from a newer firmware: kept, not understood.
                _ => continue,
            };
            out.push(setting.ok_or_else(|| StoreError::Corrupt {
                table: "device_settings",
                detail: format!("{key} = {value:?}"),
            })?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_outlive_a_reopen_and_are_audited() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kiosk.db");
        {
            let mut store = Store::open(&path).unwrap();
            assert_eq!(store.device_settings().unwrap(), vec![]);
            store.set_device_setting(&DeviceSetting::Table("12".into()), Actor::Operator, 1).unwrap();
            store.set_device_setting(&DeviceSetting::Volume(3), Actor::Operator, 2).unwrap();
            store.set_device_setting(&DeviceSetting::Volume(7), Actor::Operator, 3).unwrap();
            store.set_device_setting(&DeviceSetting::IdleTimeoutS(120), Actor::Operator, 4).unwrap();
            store.set_device_setting(&DeviceSetting::Language(Lang::En), Actor::Operator, 5).unwrap();
        }
        let store = Store::open(&path).unwrap();
        // one value per setting, the latest; in key order
        assert_eq!(
            store.device_settings().unwrap(),
            vec![
                DeviceSetting::IdleTimeoutS(120),
                DeviceSetting::Language(Lang::En),
                DeviceSetting::Table("12".into()),
                DeviceSetting::Volume(7),
            ]
        );
        let audit = store.audit_log(10).unwrap();
        assert_eq!(audit[0].action, "settings.set");
        assert_eq!(audit[0].detail.as_deref(), Some("language = en"));
        assert_eq!(audit.iter().filter(|a| a.action == "settings.set").count(), 5);
    }
}
