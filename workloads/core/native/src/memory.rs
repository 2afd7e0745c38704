//! The per-series loop of `MemoryMetricBackend.write_batch` (`heroic_core.backends.memory.
//! metric`): the steps of its Python loop, without the interpreter between them. With 10,000
//! known series a batch, that loop was about half the consumer's write.

use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

/// For each series `i` of `series`: its data, `by_id[series.id]` when that data's `series` is
/// this very object, else `slot(series)` (which makes or finds it); then `columns, bounds[i],
/// bounds[i + 1]` appended to the data's `pending`, and `data.merge()` once that list holds
/// `max_len` items. The caller holds the backend's lock. Errors of `slot` and `merge` pass
/// through with the series before stored, as in the Python loop; a series without an `id`
/// (not a `Series`) fails the call before anything is stored.
#[pyfunction]
pub fn append_chunks<'py>(
    py: Python<'py>,
    by_id: &Bound<'py, PyDict>,
    slot: &Bound<'py, PyAny>,
    series: &Bound<'py, PyTuple>,
    columns: &Bound<'py, PyAny>,
    bounds: &Bound<'py, PyList>,
    max_len: usize,
) -> PyResult<()> {
    if bounds.len() != series.len() + 1 {
        return Err(PyValueError::new_err(
            "bounds must have one entry more than series",
        ));
    }
    let (id, owner, pending, merge) = (
        intern!(py, "id"),
        intern!(py, "series"),
        intern!(py, "pending"),
        intern!(py, "merge"),
    );
    // Every lookup first, then every append: the lookups miss the cache (100,000 series are
    // more than it holds) and, with nothing else between them, the processor overlaps them
    // (about 5 % of the consumer's write). The same outcome as the Python loop's lookup per
    // turn: `slot` and `merge` only ever add to `by_id`, so a data found here is still the
    // series' own at its turn, and a series not found is left to `slot` at its turn.
    let mut datas = Vec::with_capacity(series.len());
    for one in series.iter() {
        let data = by_id.get_item(one.getattr(id)?)?;
        datas.push(match data {
            Some(data) if data.getattr(owner)?.is(&one) => Some(data),
            _ => None,
        });
    }
    // The bounds' own int objects are appended: no object is made per series, so there is
    // nothing new for the cyclic garbage collector to track either.
    let mut lo = bounds.get_item(0)?;
    for (i, (one, data)) in series.iter().zip(datas).enumerate() {
        let hi = bounds.get_item(i + 1)?;
        let data = match data {
            Some(data) => data,
            None => slot.call1((&one,))?,
        };
        let chunks = data.getattr(pending)?.cast_into::<PyList>()?;
        chunks.append(columns)?;
        chunks.append(&lo)?;
        chunks.append(&hi)?;
        if chunks.len() >= max_len {
            data.call_method0(merge)?;
        }
        lo = hi;
    }
    Ok(())
}
