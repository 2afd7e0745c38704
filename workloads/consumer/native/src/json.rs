//! Spotify100: one ffwd JSON object per message, read by serde_json.
//!
//! Only the usual message is taken here: an object with version 1.x.y (a number `value`) or
//! 2.x.y (`{"doubleValue": number}`), an integer `time` in 1..=2^63-1, a string `key`, a
//! string or null `host`, and `attributes`/`resource` absent, null or objects of strings.
//! Everything else (another version, a float time, a distribution, a number in `attributes`,
//! any error) is declined and goes through Python's reference decoder (`decode.py`), which
//! accepts it or names the problem; so whatever is taken here means what that decoder says.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::batch::{push_field, Batch, Fresh};
use crate::table::Table;

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    version: Cow<'a, str>,
    #[serde(borrow)]
    key: Cow<'a, str>,
    time: i64,
    #[serde(borrow)]
    value: Option<&'a RawValue>,
    #[serde(borrow)]
    host: Option<Cow<'a, str>>,
    #[serde(borrow)]
    attributes: Option<&'a RawValue>,
    #[serde(borrow)]
    resource: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct V2Value<'a> {
    #[serde(rename = "doubleValue", borrow)]
    double: Option<&'a RawValue>,
    #[serde(rename = "distributionValue", borrow)]
    distribution: Option<&'a RawValue>,
}

/// Decodes every payload (None: not bytes) into `out`.
pub fn decode<'p>(
    table: &mut Table,
    payloads: impl Iterator<Item = Option<&'p [u8]>>,
    out: &mut Batch,
) {
    let mut identity = Vec::with_capacity(256);
    for (index, payload) in payloads.enumerate() {
        let index = index as u32;
        let taken = payload.is_some_and(|p| take(table, p, index, &mut identity, out));
        if !taken {
            out.declined.push(index);
        }
    }
}

fn take(
    table: &mut Table,
    payload: &[u8],
    index: u32,
    identity: &mut Vec<u8>,
    out: &mut Batch,
) -> bool {
    // Python reads bytes that are not UTF-8 as an error even in fields nobody looks at, and a
    // JSON array is not a message (serde would read it as the struct's fields in order).
    let Ok(text) = std::str::from_utf8(payload) else {
        return false;
    };
    if !is_object(text) {
        return false;
    }
    let Ok(m) = serde_json::from_str::<Message>(text) else {
        return false;
    };
    let value = match major(&m.version) {
        Some(1) => m.value.and_then(number),
        Some(2) => m.value.and_then(v2_double),
        _ => None,
    };
    let Some(value) = value else { return false };
    if m.time <= 0 {
        return false;
    }
    identity.clear();
    identity.push(b'J');
    push_field(identity, b'k', m.key.as_bytes());
    match &m.host {
        Some(host) => push_field(identity, b'h', host.as_bytes()),
        None => identity.push(b'-'),
    }
    for raw in [m.attributes, m.resource] {
        match raw {
            Some(raw) => push_field(identity, b'm', raw.get().as_bytes()),
            None => identity.push(b'-'),
        }
    }
    let id = match table.find(identity) {
        Some(id) => id,
        None => {
            let Some(fresh) = series(&m) else {
                return false;
            };
            let id = table.insert(identity);
            out.fresh.push(Fresh { id, ..fresh });
            id
        }
    };
    let local = table.local(id);
    out.push(local, m.time, value, index);
    true
}

fn is_object(text: &str) -> bool {
    text.trim_start_matches([' ', '\t', '\n', '\r'])
        .starts_with('{')
}

/// The major version of `1.x.y` or `2.x.y` (ASCII digits), else None.
fn major(version: &str) -> Option<u8> {
    let mut parts = version.split('.');
    let major = match parts.next()? {
        "1" => 1,
        "2" => 2,
        _ => return None,
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    match (parts.next(), parts.next(), parts.next()) {
        (Some(minor), Some(patch), None) if digits(minor) && digits(patch) => Some(major),
        _ => None,
    }
}

/// A JSON number (integer or not) as Python's `float()` of it; None for anything else.
fn number(raw: &RawValue) -> Option<f64> {
    let value = serde_json::from_str::<f64>(raw.get()).ok()?;
    // Python reads `-0` as the integer 0, whose float is +0.0 (serde_json gives -0.0).
    if value == 0.0 && !raw.get().contains(['.', 'e', 'E']) {
        return Some(0.0);
    }
    Some(value)
}

/// The number of `{"doubleValue": number}` (no distribution), else None.
fn v2_double(raw: &RawValue) -> Option<f64> {
    if !is_object(raw.get()) {
        return None;
    }
    let value = serde_json::from_str::<V2Value>(raw.get()).ok()?;
    if value.distribution.is_some() {
        return None;
    }
    number(value.double?)
}

/// The fields of the series of a message whose maps hold only strings (else None).
fn series(m: &Message) -> Option<Fresh> {
    let mut tags = string_map(m.attributes)?;
    if let Some(host) = &m.host {
        tags.insert("host".to_owned(), host.clone().into_owned());
    }
    let resource = string_map(m.resource)?;
    Some(Fresh {
        id: 0,
        key: m.key.clone().into_owned(),
        tags,
        resource,
    })
}

fn string_map(raw: Option<&RawValue>) -> Option<BTreeMap<String, String>> {
    match raw {
        None => Some(BTreeMap::new()),
        Some(raw) if is_object(raw.get()) => serde_json::from_str(raw.get()).ok(),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::major;

    #[test]
    fn versions_taken_are_one_or_two_with_ascii_digits() {
        assert_eq!(major("1.0.0"), Some(1));
        assert_eq!(major("2.10.300"), Some(2));
        for other in [
            "3.0.0",
            "01.0.0",
            "1.0",
            "1.0.0.0",
            "1..0",
            "1.0.x",
            "1.\u{661}.0",
            "",
        ] {
            assert_eq!(major(other), None, "{other}");
        }
    }
}
