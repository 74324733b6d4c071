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

/// Dunnett's many-to-one adjusted p-values for `k` treatment arms compared
/// with one shared control, in the large-sample (normal) form.
///
/// # Formula
/// The statistics `Z_i = Δ_i/SE_i` (treatment `i` minus control) share the
/// control mean, so under H0 they are jointly normal with
/// `Corr(Z_i, Z_j) = λ_i·λ_j`, `λ_i = √(v_0/(v_0 + v_i))` (`v_0`, `v_i` the
/// variances of the control and treatment means; Welch's unequal-variance
/// form). With that product structure, conditioning on the control's
/// standard normal `W`,
/// ```text
/// P(max_j |Z_j| < c) = ∫ φ(w) Π_j [Φ((c − λ_j w)/√(1 − λ_j²)) − Φ((−c − λ_j w)/√(1 − λ_j²))] dw
/// ```
/// and the adjusted two-sided p-value of arm `i` is `1 − P(max_j |Z_j| < |z_i|)`
/// (p-values below about 1e-12 are at the integration's precision),
/// computed by Simpson's rule on `w ∈ [−10, 10]` (4,000 intervals). With one
/// arm it is the unadjusted two-sided p-value. `lambda` values must be in
/// `[0, 1)`; a `λ` of 1 (a treatment mean with no variance) is clamped just
/// below.
///
/// # References
/// Dunnett, C. W. (1955). "A multiple comparison procedure for comparing
/// several treatments with a control". *JASA* 50, 1096–1121. The
/// unequal-variance correlation as in `scipy.stats.dunnett`'s large-sample
/// limit (Hothorn, Bretz & Westfall 2008, *Biometrical Journal* 50, 346–363).
///
/// ```
/// // Equal arms (λ² = 1/2): Dunnett's two-sided 5% critical value for k = 2,
/// // df = ∞, is 2.212 (Dunnett 1955, Table 2a, via the same integral).
/// let l = 0.5f64.sqrt();
/// let p = liftlab::stats::dunnett(&[2.212, 0.0], &[l, l]);
/// assert!((p[0] - 0.05).abs() < 5e-4, "{}", p[0]);
/// assert!((p[1] - 1.0).abs() < 1e-9);
/// ```
pub fn dunnett(z: &[f64], lambda: &[f64]) -> Vec<f64> {
    use crate::stats::dist::{normal_cdf, normal_pdf};
    let lam: Vec<f64> = lambda.iter().map(|l| l.clamp(0.0, 1.0 - 1e-12)).collect();
    let inside = |c: f64| -> f64 {
        let n = 4_000;
        let (lo, hi) = (-10.0, 10.0);
        let h = (hi - lo) / n as f64;
        let f = |w: f64| {
            normal_pdf(w)
                * lam
                    .iter()
                    .map(|&l| {
                        let s = (1.0 - l * l).sqrt();
                        normal_cdf((c - l * w) / s) - normal_cdf((-c - l * w) / s)
                    })
                    .product::<f64>()
        };
        let mut sum = f(lo) + f(hi);
        for i in 1..n {
            sum += f(lo + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
        }
        sum * h / 3.0
    };
    z.iter().map(|&zi| if zi.is_finite() { (1.0 - inside(zi.abs())).clamp(0.0, 1.0) } else { f64::NAN }).collect()
}
