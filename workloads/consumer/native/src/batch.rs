//! What decoding one fetched batch produces: columns of points, the messages left to Python's
//! reference decoder, the identities seen for the first time and the distribution points.

/// A series seen for the first time: its id and the fields of its `Series`.
pub struct Fresh {
    pub id: u32,
    pub key: String,
    pub tags: Vec<(String, String)>,
    pub resource: Vec<(String, String)>,
}

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
