//! The real Cookie Cats A/B test (90,189 players): boolean metrics written
//! `True`/`False`, and an arm split that is off 50/50 (χ² ≈ 6.90).
//! Reference values: `scipy.stats.chisquare([44700, 45489])` and the
//! dataset's README (unpooled SE of the retention_7 difference).

use liftlab::experiment::{AnalysisConfig, analyze};
use liftlab::io::{ColumnSpec, read_units};

use crate::util::{assert_close, assert_close_tol, shared_dataset};

#[test]
fn boolean_metrics_and_srm_on_cookie_cats() {
    let Some(path) = shared_dataset("cookie_cats/cookie_cats.csv") else { return };
    let spec = ColumnSpec {
        variant: Some("version".into()),
        metrics: vec!["retention_1".into(), "retention_7".into()],
        covariate: None,
        segment: None,
    };
    let table = read_units(&path, &spec).unwrap();
    let a = analyze(&table, &AnalysisConfig::new("gate_30", "version")).unwrap();
    assert_eq!(a.srm.counts["gate_30"], 44_700);
    assert_eq!(a.srm.counts["gate_40"], 45_489);
    // scipy.stats.chisquare([44700, 45489]).statistic
    assert_close("chi2", a.srm.chi2, 6.902_404_949_605_827_5);
    assert!(a.srm.pvalue > 0.001 && a.srm.pvalue < 0.01 && !a.srm.mismatch);

    let r7 = a.results.iter().find(|r| r.metric == "retention_7").unwrap();
    // 8,502 / 44,700 and 8,279 / 45,489 retained on day 7.
    assert_close("retention_7 control", r7.welch.mean_control, 8_502.0 / 44_700.0);
    assert_close("retention_7 treatment", r7.welch.mean_treatment, 8_279.0 / 45_489.0);
    assert_close_tol("retention_7 SE", r7.welch.effect_size_se, 0.00259, 0.01);
    assert!(r7.welch.pvalue < 0.01 && r7.welch.effect_size_ci_upper < 0.0);
}
