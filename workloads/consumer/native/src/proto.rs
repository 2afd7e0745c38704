//! Spotify100Proto: a Snappy block (snap) holding a `spotify.metric.Batch` (prost).
//!
//! The messages below have the field numbers and wire types of upstream's `spotify_100.proto`,
//! except that `Metric`'s key and map entries are read as raw bytes: together they are the
//! series' raw identity, and their UTF-8 and map entries are checked (by prost's `string`)
//! only when the identity is new. A message with a time <= 0, a distribution while none is
//! stored, or anything that does not parse is declined whole and goes through Python's
//! reference decoder (`decode.py`), which names the problem.

use std::collections::BTreeMap;

use bytes::Bytes;
use prost::Message;

use crate::batch::{push_field, Batch, Distribution, Fresh};
use crate::table::Table;

/// A corrupt block must not make us allocate gigabytes (as `heroic_consumer.snappy`).
const MAX_UNCOMPRESSED: usize = 256 * 1024 * 1024;

#[derive(Clone, PartialEq, Message)]
struct MetricBatch {
    #[prost(message, repeated, tag = "1")]
    metric: Vec<Metric>,
}

#[derive(Clone, PartialEq, Message)]
struct Metric {
    /// Every occurrence of the key: the last one counts, and each must be UTF-8 (upb checks
    /// them as it reads them).
    #[prost(bytes = "bytes", repeated, tag = "1")]
    key: Vec<Bytes>,
    #[prost(int64, tag = "2")]
    time: i64,
    #[prost(double, tag = "3")]
    value: f64,
    #[prost(bytes = "bytes", repeated, tag = "4")]
    tags: Vec<Bytes>,
    #[prost(bytes = "bytes", repeated, tag = "5")]
    resource: Vec<Bytes>,
    #[prost(message, optional, tag = "6")]
    distribution_type_value: Option<Value>,
}

#[derive(Clone, PartialEq, Message)]
struct Value {
    #[prost(oneof = "Kind", tags = "1, 2")]
    value: Option<Kind>,
}

#[derive(Clone, PartialEq, prost::Oneof)]
enum Kind {
    #[prost(double, tag = "1")]
    DoubleValue(f64),
    #[prost(bytes = "vec", tag = "2")]
    DistributionValue(Vec<u8>),
}

#[derive(Clone, PartialEq, Message)]
struct MapEntry {
    #[prost(string, tag = "1")]
    key: String,
    #[prost(string, tag = "2")]
    value: String,
}

/// Decodes every payload (None: not bytes) into `out`.
pub fn decode<'p>(
    table: &mut Table,
    payloads: impl Iterator<Item = Option<&'p [u8]>>,
    distributions: bool,
    out: &mut Batch,
) {
    let mut identity = Vec::with_capacity(256);
    let mut decoder = snap::raw::Decoder::new();
    for (index, payload) in payloads.enumerate() {
        let index = index as u32;
        let batch = payload
            .and_then(|p| decompress(&mut decoder, p))
            .and_then(|raw| MetricBatch::decode(raw).ok());
        let mark = out.mark();
        let taken = batch.is_some_and(|batch| {
            batch
                .metric
                .into_iter()
                .all(|metric| take(table, metric, index, distributions, &mut identity, out))
        });
        if !taken {
            out.rollback(mark);
            out.declined.push(index);
        }
    }
}

fn decompress(decoder: &mut snap::raw::Decoder, payload: &[u8]) -> Option<Bytes> {
    let length = snap::raw::decompress_len(payload).ok()?;
    if length > MAX_UNCOMPRESSED {
        return None;
    }
    let mut raw = vec![0; length];
    let written = decoder.decompress(payload, &mut raw).ok()?;
    raw.truncate(written);
    Some(Bytes::from(raw))
}

/// Appends one metric; false if its message must be declined.
fn take(
    table: &mut Table,
    metric: Metric,
    index: u32,
    distributions: bool,
    identity: &mut Vec<u8>,
    out: &mut Batch,
) -> bool {
    if metric.time <= 0 {
        return false;
    }
    identity.clear();
    identity.push(b'P');
    for (tag, entries) in [
        (b'k', &metric.key),
        (b't', &metric.tags),
        (b'r', &metric.resource),
    ] {
        identity.push(tag);
        identity.extend_from_slice(&(entries.len() as u64).to_le_bytes());
        for entry in entries {
            push_field(identity, b'e', entry);
        }
    }
    let id = match table.find(identity) {
        Some(id) => id,
        None => {
            let Some(fresh) = series(&metric) else {
                return false;
            };
            let id = table.insert(identity);
            out.fresh.push(Fresh { id, ..fresh });
            id
        }
    };
    let local = table.local(id);
    match metric.distribution_type_value.and_then(|v| v.value) {
        None => out.push(local, metric.time, metric.value, index),
        Some(Kind::DoubleValue(value)) => out.push(local, metric.time, value, index),
        Some(Kind::DistributionValue(payload)) => {
            if !distributions {
                return false;
            }
            out.distributions.push(Distribution {
                message: index,
                local,
                time: metric.time,
                payload,
            });
        }
    }
    true
}

/// The fields of a metric's series, with its key and map entries checked as the real `Metric`
/// reads them (UTF-8 strings); None when they do not parse, or when an entry holds more than
/// its key and value once each (upb then drops the entry: the reference decoder says what
/// remains).
fn series(metric: &Metric) -> Option<Fresh> {
    let mut key = "";
    for occurrence in &metric.key {
        key = std::str::from_utf8(occurrence).ok()?;
    }
    let key = key.to_owned();
    // A later entry of a key wins, as in a protobuf map.
    let entries = |raw: &[Bytes]| -> Option<BTreeMap<String, String>> {
        raw.iter()
            .map(|bytes| {
                let entry = MapEntry::decode(bytes.clone()).ok()?;
                (entry.encoded_len() == bytes.len()).then_some((entry.key, entry.value))
            })
            .collect()
    };
    Some(Fresh {
        id: 0,
        key,
        tags: entries(&metric.tags)?,
        resource: entries(&metric.resource)?,
    })
}
