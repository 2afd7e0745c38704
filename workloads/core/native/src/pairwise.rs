//! NumPy's sums, addition for addition: `np.add.reduceat` adds a segment's first value to the
//! pairwise sum of the rest (NumPy's `pairwise_sum` for doubles: eight running sums over blocks
//! of at most 128 values, halves split on multiples of eight above that). Doing the very same
//! additions in the same order gives the same sums to the last bit; the eight independent
//! chains are also what makes it fast.

const BLOCK: usize = 128;

/// NumPy's `pairwise_sum` of `f(v)` for each `v` of `values`.
pub fn pairwise_sum<F: Fn(f64) -> f64 + Copy>(values: &[f64], f: F) -> f64 {
    let n = values.len();
    if n < 8 {
        // NumPy starts from -0.0, so that a sum of negative zeros stays -0.0.
        values.iter().fold(-0.0, |acc, &v| acc + f(v))
    } else if n <= BLOCK {
        let mut r = [0.0f64; 8];
        for (slot, &v) in r.iter_mut().zip(&values[..8]) {
            *slot = f(v);
        }
        let whole = n - n % 8;
        for block in values[8..whole].chunks_exact(8) {
            for (slot, &v) in r.iter_mut().zip(block) {
                *slot += f(v);
            }
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &v in &values[whole..] {
            res += f(v);
        }
        res
    } else {
        let half = n / 2;
        let half = half - half % 8;
        pairwise_sum(&values[..half], f) + pairwise_sum(&values[half..], f)
    }
}

/// What `np.add.reduceat` gives for one non-empty segment: its first value plus the pairwise
/// sum of the others.
pub fn segment_sum<F: Fn(f64) -> f64 + Copy>(segment: &[f64], f: F) -> f64 {
    match segment.split_first() {
        Some((&first, rest)) => f(first) + pairwise_sum(rest, f),
        None => -0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(v: f64) -> f64 {
        v
    }

    #[test]
    fn short_sums_add_in_order_from_negative_zero() {
        assert_eq!(
            pairwise_sum(&[-0.0, -0.0], same).to_bits(),
            (-0.0f64).to_bits()
        );
        assert_eq!(pairwise_sum(&[1.0, 2.0, 3.0], same), 6.0);
        assert_eq!(pairwise_sum(&[], same).to_bits(), (-0.0f64).to_bits());
    }

    #[test]
    fn blocks_use_eight_running_sums() {
        // 1e16 + 1 loses the 1 in one running sum, but not when the ones meet first.
        let mut values = vec![1.0; 16];
        values[0] = 1e16;
        let in_order = values.iter().fold(0.0, |a, &v| a + v);
        let pairwise = pairwise_sum(&values, same);
        assert_eq!(in_order, 1e16);
        assert_eq!(pairwise, 1e16 + 14.0);
    }

    #[test]
    fn long_sums_split_on_multiples_of_eight() {
        let values: Vec<f64> = (0..1000).map(|i| f64::from(i) * 0.1).collect();
        let half = 496; // 500 rounded down to a multiple of eight
        let expected = pairwise_sum(&values[..half], same) + pairwise_sum(&values[half..], same);
        assert_eq!(pairwise_sum(&values, same).to_bits(), expected.to_bits());
    }

    #[test]
    fn a_segment_is_its_first_value_plus_the_rest() {
        assert_eq!(segment_sum(&[-0.0], same).to_bits(), (-0.0f64).to_bits());
        assert_eq!(segment_sum(&[2.0, 3.0], |v| v * v), 13.0);
    }
}
