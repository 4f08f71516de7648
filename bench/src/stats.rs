//! Medians, percentiles and spreads of repeated measurements.

use serde::Serialize;

/// The `p`-th percentile (0..=100) of `values` by linear interpolation between closest ranks
/// (the "R-7" method of spreadsheets and numpy). `None` for no values or a `p` out of range.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() || !(0.0..=100.0).contains(&p) || values.iter().any(|v| v.is_nan()) {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = p / 100.0 * (sorted.len() - 1) as f64;
    let below = rank.floor() as usize;
    let above = rank.ceil() as usize;
    let fraction = rank - below as f64;
    Some(sorted[below] + (sorted[above] - sorted[below]) * fraction)
}

/// The median and the range of repeated runs: what the report shows for every figure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// How many runs.
    pub runs: usize,
}

impl Summary {
    /// `None` for no values (or a NaN among them).
    pub fn of(values: &[f64]) -> Option<Self> {
        Some(Self {
            median: percentile(values, 50.0)?,
            min: percentile(values, 0.0)?,
            max: percentile(values, 100.0)?,
            runs: values.len(),
        })
    }

    /// `12.3 (11.9–13.0)` with `decimals` digits after the point.
    pub fn display(&self, decimals: usize) -> String {
        format!(
            "{:.decimals$} ({:.decimals$}–{:.decimals$})",
            self.median, self.min, self.max
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(percentile(&[3.0, 1.0, 2.0], 50.0), Some(2.0));
        assert_eq!(percentile(&[4.0, 1.0, 3.0, 2.0], 50.0), Some(2.5));
        assert_eq!(percentile(&[7.0], 50.0), Some(7.0));
    }

    #[test]
    fn percentiles_interpolate_between_ranks() {
        let values: Vec<f64> = (1..=101).map(f64::from).collect();
        assert_eq!(percentile(&values, 99.0), Some(100.0));
        assert_eq!(percentile(&values, 0.0), Some(1.0));
        assert_eq!(percentile(&values, 100.0), Some(101.0));
        // 10 values: rank 0.99 * 9 = 8.91, between the 9th (9) and 10th (100) value.
        let skewed = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 100.0];
        let p99 = percentile(&skewed, 99.0).expect("values");
        assert!((p99 - (9.0 + 91.0 * 0.91)).abs() < 1e-9, "{p99}");
    }

    #[test]
    fn nothing_to_summarise_is_none() {
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[1.0], 101.0), None);
        assert_eq!(percentile(&[1.0, f64::NAN], 50.0), None);
        assert_eq!(Summary::of(&[]), None);
    }

    #[test]
    fn summary_shows_median_and_range() {
        let summary = Summary::of(&[12.0, 10.0, 11.0, 30.0, 9.5]).expect("values");
        assert_eq!(summary.median, 11.0);
        assert_eq!((summary.min, summary.max, summary.runs), (9.5, 30.0, 5));
        assert_eq!(summary.display(1), "11.0 (9.5–30.0)");
    }
}
