//! `heroic_core._native`: the grouped statistics of a `group` aggregation in one call (see
//! `grouped.rs`). Python (`heroic_core.aggregations.compiled`) decides when it applies and
//! takes the NumPy path whenever this declines; both give the same answers to the last bit.
//! Also the per-series loop of the memory metric backend's batch write (`memory.rs`), which
//! `heroic_core.backends.memory.metric` runs in Python when this is not built.

use pyo3::buffer::PyBuffer;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyByteArray;

mod grouped;
mod memory;
mod pairwise;

use grouped::{Chunk, Wanted};

/// A held buffer of `T` read as a slice; a clear error when it is not C-contiguous.
fn slice_of<T: pyo3::buffer::Element>(buffer: &PyBuffer<T>) -> PyResult<&[T]> {
    let pointer = buffer
        .as_slice_ptr()
        .ok_or_else(|| PyValueError::new_err("arrays must be C-contiguous"))?;
    // SAFETY: the buffer stays held (and so alive and unmoved) while the slice is borrowed,
    // and nothing writes to these arrays during the call (the GIL is held throughout).
    Ok(unsafe { pointer.as_ref() })
}

fn to_bytearray<'py>(py: Python<'py>, values: &[f64]) -> Bound<'py, PyByteArray> {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_ne_bytes()).collect();
    PyByteArray::new(py, &bytes)
}

/// `(n, cnt, sum, sum2, min, max)` as bytearrays of `groups x buckets` doubles (`None` for those not
/// wanted), or `None` when the NumPy path must decide. `timestamps[i]` (int64) and
/// `values[i]` (float64) are chunk `i`, adding into row `owners[i]`; `sorted[i]` says its
/// timestamps are known to be in order (else they are checked).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
#[pyo3(signature = (timestamps, values, sorted, owners, groups, edges, *, cnt, sum, sum2, min, max))]
fn grouped_sums<'py>(
    py: Python<'py>,
    timestamps: Vec<PyBuffer<i64>>,
    values: Vec<PyBuffer<f64>>,
    sorted: Vec<bool>,
    owners: Vec<usize>,
    groups: usize,
    edges: PyBuffer<i64>,
    cnt: bool,
    sum: bool,
    sum2: bool,
    min: bool,
    max: bool,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let chunks = owners.len();
    if timestamps.len() != chunks || values.len() != chunks || sorted.len() != chunks {
        return Err(PyValueError::new_err(
            "timestamps, values, sorted and owners must have one entry per chunk",
        ));
    }
    let mut chunks = Vec::with_capacity(chunks);
    for (((ts, vs), &sorted), &group) in timestamps.iter().zip(&values).zip(&sorted).zip(&owners) {
        chunks.push(Chunk {
            ts: slice_of(ts)?,
            vs: slice_of(vs)?,
            sorted,
            group,
        });
    }
    let wanted = Wanted {
        cnt,
        sum,
        sum2,
        min,
        max,
    };
    let Some(out) = grouped::accumulate(&chunks, groups, slice_of(&edges)?, wanted) else {
        return Ok(None);
    };
    let pick = |want: bool, values: &[f64]| want.then(|| to_bytearray(py, values));
    let result = (
        to_bytearray(py, &out.n),
        pick(cnt, &out.cnt),
        pick(sum, &out.sum),
        pick(sum2, &out.sum2),
        pick(min, &out.min),
        pick(max, &out.max),
    );
    Ok(Some(result.into_pyobject(py)?.into_any()))
}

#[pymodule]
#[pyo3(name = "_native")]
fn heroic_core_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(grouped_sums, m)?)?;
    m.add_function(wrap_pyfunction!(memory::append_chunks, m)?)?;
    Ok(())
}
