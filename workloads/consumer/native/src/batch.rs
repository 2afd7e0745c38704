//! What decoding one fetched batch produces: columns of points, the messages left to Python's
//! reference decoder, the identities seen for the first time and the distribution points.

use std::collections::BTreeMap;

/// A series seen for the first time: its id and the fields of its `Series` (the maps sorted
/// by key, each key once).
pub struct Fresh {
    pub id: u32,
    pub key: String,
    pub tags: BTreeMap<String, String>,
    pub resource: BTreeMap<String, String>,
}

impl Fresh {
    /// Upstream's series id (`Series.hash()`): Murmur3 x64 128 of the UTF-8 of the key, the
    /// sorted tags and the sorted resource concatenated without separators; 32 hex digits of
    /// its bytes as Guava gives them (h1 then h2, each little-endian).
    pub fn series_id(&self) -> String {
        let mut data = Vec::with_capacity(128);
        data.extend_from_slice(self.key.as_bytes());
        for (k, v) in self.tags.iter().chain(self.resource.iter()) {
            data.extend_from_slice(k.as_bytes());
            data.extend_from_slice(v.as_bytes());
        }
        let hash =
            murmur3::murmur3_x64_128(&mut data.as_slice(), 0).expect("reading a slice cannot fail");
        let mut hex = String::with_capacity(32);
        for byte in hash.to_le_bytes() {
            hex.push(char::from(HEX[usize::from(byte >> 4)]));
            hex.push(char::from(HEX[usize::from(byte & 15)]));
        }
        hex
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// One distribution point: message index, batch-local series index, time, payload.
pub struct Distribution {
    pub message: u32,
    pub local: u32,
    pub time: i64,
    pub payload: Vec<u8>,
}

#[derive(Default)]
pub struct Batch {
    /// Per point: batch-local series index, time, value and the index of its message.
    pub locals: Vec<i32>,
    pub times: Vec<i64>,
    pub values: Vec<f64>,
    pub messages: Vec<i32>,
    /// Messages not taken (the reference decoder accepts them or names their error).
    pub declined: Vec<u32>,
    pub fresh: Vec<Fresh>,
    pub distributions: Vec<Distribution>,
}

/// Where the columns of a `Batch` end (see `Batch::rollback`).
#[derive(Clone, Copy)]
pub struct Mark {
    points: usize,
    distributions: usize,
}

impl Batch {
    pub fn with_capacity(points: usize) -> Self {
        Batch {
            locals: Vec::with_capacity(points),
            times: Vec::with_capacity(points),
            values: Vec::with_capacity(points),
            messages: Vec::with_capacity(points),
            ..Batch::default()
        }
    }

    pub fn push(&mut self, local: u32, time: i64, value: f64, message: u32) {
        self.locals.push(local as i32);
        self.times.push(time);
        self.values.push(value);
        self.messages.push(message as i32);
    }

    pub fn mark(&self) -> Mark {
        Mark {
            points: self.times.len(),
            distributions: self.distributions.len(),
        }
    }

    /// Drops the points appended after `mark` (a message turned out not to be taken halfway).
    pub fn rollback(&mut self, mark: Mark) {
        self.locals.truncate(mark.points);
        self.times.truncate(mark.points);
        self.values.truncate(mark.points);
        self.messages.truncate(mark.points);
        self.distributions.truncate(mark.distributions);
    }
}

/// Appends `bytes` to an identity, length first, so that no two field lists share an encoding.
pub fn push_field(identity: &mut Vec<u8>, tag: u8, bytes: &[u8]) {
    identity.push(tag);
    identity.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
    identity.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::Fresh;

    #[test]
    fn the_series_id_is_upstreams_hash_of_key_and_sorted_maps() {
        let fresh = Fresh {
            id: 0,
            key: "k".to_owned(),
            tags: [("b", "z"), ("a", "y")]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .into(),
            resource: [("r".to_owned(), "é".to_owned())].into(),
        };
        // Series("k", {"a": "y", "b": "z"}, {"r": "é"}).id of heroic_core.model (mmh3)
        assert_eq!(fresh.series_id(), "7c15817c5603d6867c48f5cc1d973614");
    }
}
