//! Multiple-comparison adjustments of p-values.

/// Holm's step-down adjusted p-values (controls the family-wise error rate).
///
/// # Formula
/// Sort the `m` p-values ascending, `p_(1) ≤ … ≤ p_(m)`; then
/// `p̃_(i) = min(1, max_{j ≤ i} (m − j + 1)·p_(j))`, returned in input order.
/// Matches `statsmodels.stats.multitest.multipletests(p, method="holm")`.
///
/// # References
/// Holm, S. (1979). "A simple sequentially rejective multiple test
/// procedure". *Scandinavian Journal of Statistics* 6, 65–70.
///
/// ```
/// let adj = liftlab::stats::holm(&[0.01, 0.04, 0.03]);
/// for (a, b) in adj.iter().zip([0.03, 0.06, 0.06]) {
///     assert!((a - b).abs() < 1e-15);
/// }
/// ```
pub fn holm(pvalues: &[f64]) -> Vec<f64> {
    let m = pvalues.len();
    let order = sorted_order(pvalues);
    let mut out = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * pvalues[i]).min(1.0));
        out[i] = running;
    }
    out
}

/// Benjamini–Hochberg adjusted p-values (controls the false discovery rate).
///
/// # Formula
/// Sort ascending; `q_(i) = min(1, min_{j ≥ i} m·p_(j)/j)`, returned in
/// input order. Matches `multipletests(p, method="fdr_bh")`.
///
/// # References
/// Benjamini, Y. & Hochberg, Y. (1995). "Controlling the false discovery
/// rate". *JRSS B* 57, 289–300.
///
/// ```
/// let adj = liftlab::stats::benjamini_hochberg(&[0.01, 0.04, 0.03]);
/// for (a, b) in adj.iter().zip([0.03, 0.04, 0.04]) {
///     assert!((a - b).abs() < 1e-15);
/// }
/// ```
pub fn benjamini_hochberg(pvalues: &[f64]) -> Vec<f64> {
    let m = pvalues.len();
    let order = sorted_order(pvalues);
    let mut out = vec![0.0; m];
    let mut running: f64 = 1.0;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min((m as f64 * pvalues[i] / (rank + 1) as f64).min(1.0));
        out[i] = running;
    }
    out
}

fn sorted_order(p: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    order
}
