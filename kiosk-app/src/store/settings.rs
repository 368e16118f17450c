//! Settings the operator changes on the device itself (table number, volume, idle timeout,
//! default language). They override the configuration file and outlive restarts; every
//! change is audited like any other.

use kiosk_domain::Lang;
use rusqlite::params;

use super::{Actor, Result, Store, StoreError, audit};

/// One operator setting, as the operator page changes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceSetting {
    Table(String),
    /// 0 (silent) to 10.
    Volume(u8),
    IdleTimeoutS(u32),
    Language(Lang),
}

impl DeviceSetting {
    fn key(&self) -> &'static str {
        match self {
            DeviceSetting::Table(_) => "table",
            DeviceSetting::Volume(_) => "volume",
            DeviceSetting::IdleTimeoutS(_) => "idle_timeout_s",
            DeviceSetting::Language(_) => "language",
        }
    }

    fn value(&self) -> String {
        match self {
            DeviceSetting::Table(t) => t.clone(),
            DeviceSetting::Volume(v) => v.to_string(),
            DeviceSetting::IdleTimeoutS(s) => s.to_string(),
            DeviceSetting::Language(l) => l.code().to_owned(),
        }
    }
}

/// The operator's overrides; `None` where the configuration file rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceSettings {
    pub table: Option<String>,
    pub volume: Option<u8>,
    pub idle_timeout_s: Option<u32>,
    pub language: Option<Lang>,
}

impl Store {
    pub fn set_device_setting(&mut self, setting: &DeviceSetting, actor: Actor, now_ms: i64) -> Result<()> {
        let tx = self.write()?;
        let (key, value) = (setting.key(), setting.value());
        tx.execute(
            "INSERT INTO device_settings (key, value, at_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, at_ms = excluded.at_ms",
            params![key, value, now_ms],
        )?;
        audit(&tx, now_ms, actor, "settings.set", None, &format!("{key} = {value}"))?;
        tx.commit()?;
        Ok(())
    }

    pub fn device_settings(&self) -> Result<DeviceSettings> {
        let mut stmt = self.conn.prepare("SELECT key, value FROM device_settings")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = DeviceSettings::default();
        for row in rows {
            let (key, value) = row?;
            let corrupt =
                || StoreError::Corrupt { table: "device_settings", detail: format!("{key} = {value:?}") };
            match key.as_str() {
                "table" => out.table = Some(value),
                "volume" => out.volume = Some(value.parse().map_err(|_| corrupt())?),
                "idle_timeout_s" => out.idle_timeout_s = Some(value.parse().map_err(|_| corrupt())?),
                "language" => out.language = Some(Lang::from_code(&value).ok_or_else(corrupt)?),
                // A setting from a newer firmware: kept, not understood.
                _ => {}
            }
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
            assert_eq!(store.device_settings().unwrap(), DeviceSettings::default());
            store.set_device_setting(&DeviceSetting::Table("12".into()), Actor::Operator, 1).unwrap();
            store.set_device_setting(&DeviceSetting::Volume(3), Actor::Operator, 2).unwrap();
            store.set_device_setting(&DeviceSetting::Volume(7), Actor::Operator, 3).unwrap();
            store.set_device_setting(&DeviceSetting::IdleTimeoutS(120), Actor::Operator, 4).unwrap();
            store.set_device_setting(&DeviceSetting::Language(Lang::En), Actor::Operator, 5).unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.device_settings().unwrap(),
            DeviceSettings {
                table: Some("12".into()),
                volume: Some(7),
                idle_timeout_s: Some(120),
                language: Some(Lang::En),
            }
        );
        let audit = store.audit_log(10).unwrap();
        assert_eq!(audit[0].action, "settings.set");
        assert_eq!(audit[0].detail.as_deref(), Some("language = en"));
        assert_eq!(audit.iter().filter(|a| a.action == "settings.set").count(), 5);
    }
}
