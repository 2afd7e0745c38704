//! The per-series loop of `MemoryMetricBackend.write_batch` (`heroic_core.backends.memory.
//! metric`): the steps of its Python loop, in the same order, without the interpreter between
//! them. With 10,000 known series a batch, that loop was about half the consumer's write.

use pyo3::exceptions::PyValueError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

/// For each series `i` of `series`: its data, `by_id[series.id]` when that data's `series` is
/// this very object, else `slot(series)` (which makes or finds it); then `columns, bounds[i],
/// bounds[i + 1]` appended to the data's `pending`, and `data.merge()` once that list holds
/// `max_len` items. The caller holds the backend's lock; errors of `slot` and `merge` pass
/// through, with the series before stored as the Python loop would have stored them.
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
    // The bounds' own int objects are appended: no object is made per series, so there is
    // nothing new for the cyclic garbage collector to track either.
    let mut lo = bounds.get_item(0)?;
    for (i, one) in series.iter().enumerate() {
        let hi = bounds.get_item(i + 1)?;
        let data = match by_id.get_item(one.getattr(id)?)? {
            Some(data) if data.getattr(owner)?.is(&one) => data,
            _ => slot.call1((&one,))?,
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
