//! `heroic_consumer._native`: a fetched batch of Spotify100 or Spotify100Proto message bodies
//! decoded into columns in one call, without a Python object per point.
//!
//! Python (`heroic_consumer.native_decode`) keeps the meaning: it builds the `Series` of each
//! identity seen for the first time, and every message declined here goes through the
//! reference decoder of `decode.py`, which accepts it or names its error. Nothing here logs,
//! does I/O or raises for a bad message.

use pyo3::prelude::*;
use std::collections::{BTreeMap, HashMap};

use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};

mod batch;
mod json;
mod proto;
mod table;

use batch::Batch;
use table::Table;

/// Raw series identities -> ids, oldest evicted first (see `table.rs`).
#[pyclass(module = "heroic_consumer._native")]
struct SeriesTable {
    table: Table,
}

#[pymethods]
impl SeriesTable {
    #[new]
    fn new() -> Self {
        SeriesTable {
            table: Table::default(),
        }
    }

    fn __len__(&self) -> usize {
        self.table.len()
    }

    /// The id of `key` and whether it was interned just now.
    fn intern(&mut self, key: &[u8]) -> (u32, bool) {
        self.table.intern(key)
    }

    /// Forgets the `count` oldest identities; returns their ids (reused later).
    fn evict(&mut self, count: usize) -> Vec<u32> {
        self.table.evict(count)
    }
}

/// The payloads of a batch: bytes, or None for anything else (declined).
fn payloads<'py>(items: &Bound<'py, PyAny>) -> PyResult<Vec<Bound<'py, PyAny>>> {
    items.try_iter()?.collect()
}

fn as_bytes<'a>(item: &'a Bound<'_, PyAny>) -> Option<&'a [u8]> {
    item.cast::<PyBytes>().ok().map(|b| b.as_bytes())
}

/// Spotify100 JSON messages -> the tuple described in `_native.pyi`.
#[pyfunction]
fn decode_spotify100<'py>(
    py: Python<'py>,
    mut table: PyRefMut<'py, SeriesTable>,
    items: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyTuple>> {
    let items = payloads(items)?;
    let bodies: Vec<Option<&[u8]>> = items.iter().map(as_bytes).collect();
    let table = &mut table.table;
    // No Python object is touched while decoding: other threads (the Kafka client's) may run.
    let out = py.detach(|| {
        table.begin_batch();
        let mut out = Batch::with_capacity(bodies.len());
        json::decode(table, bodies.iter().copied(), &mut out);
        out
    });
    output(py, table, out)
}

/// Spotify100Proto batches -> the tuple described in `_native.pyi`.
#[pyfunction]
fn decode_spotify100_proto<'py>(
    py: Python<'py>,
    mut table: PyRefMut<'py, SeriesTable>,
    items: &Bound<'py, PyAny>,
    distributions: bool,
) -> PyResult<Bound<'py, PyTuple>> {
    let items = payloads(items)?;
    let bodies: Vec<Option<&[u8]>> = items.iter().map(as_bytes).collect();
    let table = &mut table.table;
    let out = py.detach(|| {
        table.begin_batch();
        let mut out = Batch::with_capacity(bodies.len() * 8);
        proto::decode(table, bodies.iter().copied(), distributions, &mut out);
        out
    });
    output(py, table, out)
}

/// Distinct strings of a batch's new series turned into Python strings once each: tag keys and
/// most values repeat across series (and shared strings keep their hash for dict lookups).
struct Strings<'a, 'py> {
    py: Python<'py>,
    made: HashMap<&'a str, Bound<'py, PyString>>,
}

impl<'a, 'py> Strings<'a, 'py> {
    /// Past this many distinct strings, new ones are no longer remembered.
    const LIMIT: usize = 4096;

    fn get(&mut self, text: &'a str) -> Bound<'py, PyString> {
        if let Some(found) = self.made.get(text) {
            return found.clone();
        }
        let made = PyString::new(self.py, text);
        if self.made.len() < Self::LIMIT {
            self.made.insert(text, made.clone());
        }
        made
    }

    fn dict(&mut self, map: &'a BTreeMap<String, String>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(self.py);
        for (k, v) in map {
            dict.set_item(self.get(k), self.get(v))?;
        }
        Ok(dict)
    }
}

fn output<'py>(py: Python<'py>, table: &Table, out: Batch) -> PyResult<Bound<'py, PyTuple>> {
    let fresh = PyList::empty(py);
    let mut strings = Strings {
        py,
        made: HashMap::new(),
    };
    for f in &out.fresh {
        let tags = strings.dict(&f.tags)?;
        let resource = strings.dict(&f.resource)?;
        let key = strings.get(&f.key);
        fresh.append((f.id, key, tags, resource, f.series_id()))?;
    }
    let distributions = PyList::empty(py);
    for d in out.distributions {
        distributions.append((d.message, d.local, d.time, PyBytes::new(py, &d.payload)))?;
    }
    (
        PyBytes::new(py, bytemuck::cast_slice(&out.locals)),
        PyBytes::new(py, bytemuck::cast_slice(&out.times)),
        PyBytes::new(py, bytemuck::cast_slice(&out.values)),
        PyBytes::new(py, bytemuck::cast_slice(&out.messages)),
        PyList::new(py, &table.distinct)?,
        fresh,
        PyList::new(py, &out.declined)?,
        distributions,
    )
        .into_pyobject(py)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<SeriesTable>()?;
    m.add_function(wrap_pyfunction!(decode_spotify100, m)?)?;
    m.add_function(wrap_pyfunction!(decode_spotify100_proto, m)?)?;
    Ok(())
}
