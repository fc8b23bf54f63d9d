//! The poll-time histogram: fixed buckets whose bounds double, from under
//! 1 µs to over 1 s, counted per worker (`WorkerStats`) and summed when
//! read (`Histogram`).

use std::fmt;
use std::ops::Range;
use std::time::Duration;

/// Number of buckets: `[0, 1.024 µs)`, then `[2^(i+9), 2^(i+10))` ns for
/// bucket `i`, the last one open-ended (from ~1.07 s).
pub(crate) const BUCKETS: usize = 22;

/// The bucket a poll of `ns` nanoseconds falls in.
pub(crate) fn bucket_of(ns: u64) -> usize {
    if ns < 1024 {
        return 0;
    }
    let log2 = 63 - ns.leading_zeros() as usize;
    (log2 - 9).min(BUCKETS - 1)
}

fn bucket_range(i: usize) -> Range<Duration> {
    let start = if i == 0 { 0 } else { 1u64 << (i + 9) };
    let end = if i == BUCKETS - 1 {
        Duration::MAX
    } else {
        Duration::from_nanos(1u64 << (i + 10))
    };
    Duration::from_nanos(start)..end
}

/// How long task polls took: counts per bucket of poll duration, summed
/// over all workers (`RuntimeMetrics::poll_time_histogram`).
///
/// Timing a poll costs two clock readings, as much as a cheap poll itself,
/// so each worker times one poll in 128 (`Histogram::sample_interval`): the
/// counts are of timed polls, a uniform sample of all of them.
///
/// # Examples
///
/// ```
/// # use magpie_runtime as magpie;
/// let rt = magpie::runtime::Runtime::new().unwrap();
/// let histogram = rt.handle().metrics().poll_time_histogram();
/// for bucket in histogram.buckets() {
///     println!("{:?}: {}", bucket.range(), bucket.count());
/// }
/// ```
#[derive(Clone, Debug)]
pub struct Histogram {
    buckets: Vec<HistogramBucket>,
}

/// One bucket of a [`Histogram`]: polls whose duration fell in `range()`.
#[derive(Clone, Debug)]
pub struct HistogramBucket {
    range: Range<Duration>,
    count: u64,
}

impl HistogramBucket {
    /// The durations this bucket counts: `start <= d < end` (the last
    /// bucket's end is `Duration::MAX`).
    pub fn range(&self) -> Range<Duration> {
        self.range.clone()
    }

    /// Timed polls whose duration fell in the range.
    pub fn count(&self) -> u64 {
        self.count
    }
}

impl Histogram {
    pub(crate) fn from_counts(counts: [u64; BUCKETS]) -> Histogram {
        Histogram {
            buckets: counts
                .iter()
                .enumerate()
                .map(|(i, &count)| HistogramBucket {
                    range: bucket_range(i),
                    count,
                })
                .collect(),
        }
    }

    /// The buckets, shortest durations first.
    pub fn buckets(&self) -> &[HistogramBucket] {
        &self.buckets
    }

    /// Timed polls in all buckets.
    pub fn total_count(&self) -> u64 {
        self.buckets.iter().map(|b| b.count).sum()
    }

    /// One poll in this many is timed, on each worker.
    pub fn sample_interval(&self) -> u64 {
        super::worker_stats::POLL_SAMPLE
    }
}

impl fmt::Display for Histogram {
    /// One line per non-empty bucket: its range and count.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.buckets.iter().filter(|b| b.count > 0) {
            if b.range.end == Duration::MAX {
                writeln!(f, ">= {:?}: {}", b.range.start, b.count)?;
            } else {
                writeln!(f, "{:?}..{:?}: {}", b.range.start, b.range.end, b.count)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_double_and_cover_everything() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(1023), 0);
        assert_eq!(bucket_of(1024), 1);
        assert_eq!(bucket_of(2047), 1);
        assert_eq!(bucket_of(2048), 2);
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
        for ns in [
            0u64,
            1,
            999,
            1024,
            5000,
            1 << 20,
            1 << 29,
            (1 << 30) + 1,
            1 << 40,
        ] {
            let range = bucket_range(bucket_of(ns));
            let d = Duration::from_nanos(ns);
            assert!(range.contains(&d), "{ns} ns not in {range:?}");
        }
        for i in 1..BUCKETS {
            assert_eq!(bucket_range(i - 1).end, bucket_range(i).start);
        }
    }
}
