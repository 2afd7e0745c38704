//! The reducible statistics of many groups at once: what `heroic_core.aggregations.stacked`
//! computes with NumPy, in one pass over each chunk's points.
//!
//! Each chunk's bucket edges are found by binary search (`searchsorted`, left side), each
//! filled bucket is summed as `np.add.reduceat` sums it (`pairwise::segment_sum`), and the
//! buckets are added into the group's row in chunk order, as `np.add.at` adds them. The same
//! additions in the same order give the same sums, overflows included; smallest and largest
//! values are the same in any order, but for the sign of a zero (declined). It declines
//! (`None`, and the caller takes the NumPy path, which decides) wherever that path could
//! decline: a bucket sum that is not moderate (NumPy proves the values finite by the sum of
//! these sums; of the sums of squares when no sum is wanted), a value outside the buckets (or
//! any value, when nothing is summed) that is not, unsorted points.

use crate::pairwise::segment_sum;

/// Values not summed here, and the buckets' sums, must stay below this (2^500) in magnitude:
/// then NumPy's own sum of fewer than `MAX_POINTS` of them, in whatever order, is finite too.
const LIMIT: f64 = 3.273_390_607_896_142e150;
/// At most this many points in one chunk (2^23), for the same reason.
pub const MAX_POINTS: usize = 1 << 23;

/// Which accumulators are wanted besides the bucket sizes (`n`), always made.
#[derive(Clone, Copy, Debug, Default)]
pub struct Wanted {
    pub cnt: bool,
    pub sum: bool,
    pub sum2: bool,
    pub min: bool,
    pub max: bool,
}

/// One chunk: its points, whether its timestamps are known to be sorted (as the memory
/// backend promises; otherwise checked), and the group (row) it adds into.
pub struct Chunk<'a> {
    pub ts: &'a [i64],
    pub vs: &'a [f64],
    pub sorted: bool,
    pub group: usize,
}

/// Accumulators of `groups x buckets`, row by row; the unwanted ones are empty.
#[derive(Debug, Default, PartialEq)]
pub struct Stacked {
    pub n: Vec<f64>,
    pub cnt: Vec<f64>,
    pub sum: Vec<f64>,
    pub sum2: Vec<f64>,
    pub min: Vec<f64>,
    pub max: Vec<f64>,
}

fn filled(wanted: bool, size: usize, value: f64) -> Vec<f64> {
    if wanted {
        vec![value; size]
    } else {
        Vec::new()
    }
}

/// How many values are not below `LIMIT` (NaN is not, nor are the infinities): counted
/// rather than searched, so that the compiler checks several at once.
fn immoderate(values: &[f64]) -> usize {
    values
        .iter()
        .map(|v| usize::from(v.abs() >= LIMIT || v.is_nan()))
        .sum()
}

/// How many timestamps are smaller than the one before.
fn descents(ts: &[i64]) -> usize {
    ts.iter()
        .zip(ts.iter().skip(1))
        .map(|(a, b)| usize::from(b < a))
        .sum()
}

/// The first position of each edge in `ts` (NumPy's `searchsorted`, left side); `edges` rise,
/// so each search starts where the last one ended.
fn positions(ts: &[i64], edges: &[i64], out: &mut Vec<usize>) {
    out.clear();
    let mut from = 0;
    for &edge in edges {
        from += ts[from..].partition_point(|&t| t < edge);
        out.push(from);
    }
}

/// `pick` (`f64::min` or `f64::max`) of `start` and the finite `values`; `None` when that is a
/// zero: between -0.0 and 0.0 NumPy's answer depends on its loop (SIMD or not), so NumPy
/// decides.
fn extreme(start: f64, values: &[f64], pick: fn(f64, f64) -> f64) -> Option<f64> {
    let found = values.iter().fold(start, |a, &v| pick(a, v));
    (found != 0.0).then_some(found)
}

/// The accumulators of `groups` rows of `edges.len() - 1` buckets; `None` where the NumPy path
/// must decide, or a chunk names a group out of range.
pub fn accumulate(
    chunks: &[Chunk<'_>],
    groups: usize,
    edges: &[i64],
    wanted: Wanted,
) -> Option<Stacked> {
    let buckets = edges.len().checked_sub(1)?;
    let size = groups.checked_mul(buckets)?;
    let mut out = Stacked {
        n: vec![0.0; size],
        cnt: filled(wanted.cnt, size, 0.0),
        sum: filled(wanted.sum, size, 0.0),
        sum2: filled(wanted.sum2, size, 0.0),
        min: filled(wanted.min, size, f64::INFINITY),
        max: filled(wanted.max, size, -f64::INFINITY),
    };
    let mut pos = Vec::with_capacity(edges.len());
    for chunk in chunks {
        let (ts, vs) = (chunk.ts, chunk.vs);
        if chunk.group >= groups
            || ts.len() != vs.len()
            || ts.len() >= MAX_POINTS
            || (!chunk.sorted && descents(ts) > 0)
        {
            return None;
        }
        positions(ts, edges, &mut pos);
        let (lo, hi) = (pos[0], pos[buckets]);
        let summed = wanted.sum || wanted.sum2;
        if immoderate(&vs[..lo]) + immoderate(&vs[hi..]) > 0
            || (!summed && immoderate(&vs[lo..hi]) > 0)
        {
            return None;
        }
        let row = chunk.group * buckets;
        for (bucket, bounds) in pos.windows(2).enumerate() {
            let segment = &vs[bounds[0]..bounds[1]];
            if segment.is_empty() {
                continue;
            }
            let at = row + bucket;
            let count = segment.len() as f64;
            out.n[at] += count;
            if wanted.cnt {
                out.cnt[at] += count;
            }
            let sum = wanted.sum.then(|| segment_sum(segment, |v| v));
            let sum2 = wanted.sum2.then(|| segment_sum(segment, |v| v * v));
            // NumPy's proof that the values are finite: the sum of the buckets' sums (else of
            // their squares'); each one moderate, that sum is finite.
            if !sum.or(sum2).is_none_or(|s| s.abs() < LIMIT) {
                return None;
            }
            if let Some(value) = sum {
                out.sum[at] += value;
            }
            if let Some(value) = sum2 {
                out.sum2[at] += value;
            }
            if wanted.min {
                out.min[at] = extreme(out.min[at], segment, f64::min)?;
            }
            if wanted.max {
                out.max[at] = extreme(out.max[at], segment, f64::max)?;
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: Wanted = Wanted {
        cnt: true,
        sum: true,
        sum2: true,
        min: true,
        max: true,
    };

    #[test]
    fn buckets_take_the_points_from_their_edge_up_to_the_next() {
        let ts = [10, 20, 30, 40, 50];
        let vs = [1.0, 2.0, 3.0, 4.0, 5.0];
        let chunks = [Chunk {
            ts: &ts,
            vs: &vs,
            sorted: false,
            group: 0,
        }];
        let got = accumulate(&chunks, 1, &[15, 35, 45, 60], ALL).unwrap();
        assert_eq!(got.n, [2.0, 1.0, 1.0]);
        assert_eq!(got.cnt, got.n);
        assert_eq!(got.sum, [5.0, 4.0, 5.0]);
        assert_eq!(got.sum2, [13.0, 16.0, 25.0]);
        assert_eq!(got.min, [2.0, 4.0, 5.0]);
        assert_eq!(got.max, [3.0, 4.0, 5.0]);
    }

    #[test]
    fn chunks_of_a_group_add_into_its_row() {
        let (ts, a, b) = ([1, 2], [1.0, 2.0], [10.0, 20.0]);
        let chunks = [
            Chunk {
                ts: &ts,
                vs: &a,
                sorted: true,
                group: 1,
            },
            Chunk {
                ts: &ts,
                vs: &b,
                sorted: true,
                group: 1,
            },
        ];
        let wanted = Wanted {
            sum: true,
            ..Wanted::default()
        };
        let got = accumulate(&chunks, 2, &[0, 2, 3], wanted).unwrap();
        assert_eq!(got.n, [0.0, 0.0, 2.0, 2.0]);
        assert_eq!(got.sum, [0.0, 0.0, 11.0, 22.0]);
        assert!(got.cnt.is_empty() && got.sum2.is_empty() && got.max.is_empty());
    }

    #[test]
    fn what_numpy_might_sum_otherwise_is_declined() {
        let ts = [1, 2, 3];
        let unsorted = [3, 2, 1];
        for (ts, vs) in [
            (&ts, [1.0, f64::NAN, 3.0]),
            (&ts, [1.0, f64::INFINITY, 3.0]),
            (&ts, [1.0, 1e200, 3.0]),
            (&unsorted, [1.0, 2.0, 3.0]),
        ] {
            let chunks = [Chunk {
                ts,
                vs: &vs,
                sorted: false,
                group: 0,
            }];
            assert!(accumulate(&chunks, 1, &[0, 10], ALL).is_none());
        }
        let chunks = [Chunk {
            ts: &ts,
            vs: &[1.0, 2.0, 3.0],
            sorted: true,
            group: 3,
        }];
        assert!(accumulate(&chunks, 1, &[0, 10], ALL).is_none());
    }

    #[test]
    fn values_outside_the_buckets_are_checked_too() {
        let ts = [1, 2, 30];
        let chunks = [Chunk {
            ts: &ts,
            vs: &[1.0, 2.0, f64::NAN],
            sorted: true,
            group: 0,
        }];
        assert!(accumulate(&chunks, 1, &[0, 10], ALL).is_none());
        let wanted = Wanted {
            cnt: true,
            ..Wanted::default()
        };
        let inside = [Chunk {
            ts: &ts,
            vs: &[f64::NAN, 2.0, 3.0],
            sorted: true,
            group: 0,
        }];
        assert!(accumulate(&inside, 1, &[0, 10], wanted).is_none());
    }

    #[test]
    fn a_zero_extreme_is_left_to_numpy() {
        let ts = [1, 2];
        for vs in [[-0.0, -1.0], [0.0, -1.0]] {
            let chunks = [Chunk {
                ts: &ts,
                vs: &vs,
                sorted: true,
                group: 0,
            }];
            let wanted = Wanted {
                max: true,
                ..Wanted::default()
            };
            assert!(accumulate(&chunks, 1, &[0, 10], wanted).is_none());
        }
    }
}
