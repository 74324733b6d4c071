use liftlab::plan::pilot::{Pilot, PlanMetric};
use liftlab::store::StoreProfile;
fn main() {
    for s in ["1.5m", "5m", "20m"] {
        let p = StoreProfile::preset(s).unwrap();
        let t = std::time::Instant::now();
        let pilot = Pilot::measure(&p, 1, 730).unwrap();
        let el = t.elapsed();
        for m in [PlanMetric::MarginPerSession, PlanMetric::RevenuePerVisitor] {
            let mde = pilot.rel_mde(m, p.annual_revenue_usd, 30.0, 0.1, false, 0.05, 0.8).unwrap();
            let d3 = pilot.days_to_detect(m, p.annual_revenue_usd, 0.1, false, 0.03, 0.05, 0.8, 1.0).unwrap();
            println!(
                "{s} {:?} mde30={mde:.4} days3%={d3:?} U30={:.0} pilot {el:?}",
                m,
                pilot.visitors(p.annual_revenue_usd, 30.0)
            );
        }
    }
}
