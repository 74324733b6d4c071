//! A store's traffic and unit economics: the input of the simulator.
//!
//! Every default is a plausible figure from the field, with its source
//! (DESIGN.md, "The store model"). A profile is derived from annual revenue
//! alone (orders = revenue / AOV, sessions = orders / conversion rate), comes
//! from a preset, or is loaded from a JSON file; every field can be
//! overridden.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, check_non_negative, check_open_unit, check_positive};

/// Days per year used to turn annual figures into daily traffic.
pub const DAYS_PER_YEAR: f64 = 365.0;

/// A visitor cohort by recency of last order (margin-first personalization
/// playbooks: first-time, engaged-30, engaged-90, lapsed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohortProfile {
    /// Cohort name.
    pub name: String,
    /// Share of a 30-day test's visitors in the cohort (normalized over cohorts).
    pub share: f64,
    /// Conversion per session relative to the store average (normalized so
    /// the store's session conversion rate holds).
    pub conversion_multiplier: f64,
    /// Order value relative to the store AOV (normalized likewise).
    pub aov_multiplier: f64,
    /// Mean sessions per visitor over a 30-day test (≥ 1). Visits follow the
    /// NBD reach model of [`crate::sim::traffic`]: the count is zero-truncated
    /// negative binomial, so a few visitors come back many times, and a
    /// longer test has more sessions per visitor.
    pub sessions_per_visitor: f64,
    /// Mean orders per visitor in the year before the test (the CUPED
    /// covariate's source); 0 for first-time visitors, ≥ 1 otherwise.
    pub pre_period_orders: f64,
}

/// A recommendation surface: where a session meets the recommendations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurfaceProfile {
    /// Surface name (homepage, PDP, cart, post-purchase, email).
    pub name: String,
    /// Share of sessions whose main recommendation surface this is.
    pub share: f64,
    /// Click-through rate of the control (static) recommendations, a fraction.
    pub ctr: f64,
}

/// The treatment: personalization on, for visitors in the treatment arm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TreatmentEffect {
    /// True relative lift in conversion per session, averaged over sessions
    /// (a fraction; 0.02 = +2%, the plausible band is 1–3%).
    pub conversion_lift: f64,
    /// True relative lift in the order value of treated orders.
    pub aov_lift: f64,
    /// True relative lift in the gross-margin rate of treated orders (margin mix).
    pub margin_mix_lift: f64,
    /// Relative lift in recommendation click-through (+8% for ML vs static
    /// bestsellers in a study of 25 stores).
    pub ctr_lift: f64,
    /// Share of the orders a vendor counts as "influenced" that would have
    /// happened anyway (≈ 0.7 in audits of mid-market stores).
    pub cannibalization: f64,
    /// Relative size of the effect per surface (by name; missing = 1).
    pub surface_weights: std::collections::BTreeMap<String, f64>,
    /// Relative size of the effect per cohort (by name; missing = 1).
    pub cohort_weights: std::collections::BTreeMap<String, f64>,
}

impl Default for TreatmentEffect {
    fn default() -> Self {
        Self {
            conversion_lift: 0.02,
            aov_lift: 0.0,
            margin_mix_lift: 0.0,
            ctr_lift: 0.08,
            cannibalization: 0.7,
            surface_weights: Default::default(),
            cohort_weights: Default::default(),
        }
    }
}

impl TreatmentEffect {
    /// Checks the lifts (> −1), the cannibalization (in [0, 1)) and the
    /// weights (≥ 0); `prefix` names the effect in errors.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the field.
    pub fn validate(&self, prefix: &str) -> Result<()> {
        for (name, v) in [
            ("conversion_lift", self.conversion_lift),
            ("aov_lift", self.aov_lift),
            ("margin_mix_lift", self.margin_mix_lift),
            ("ctr_lift", self.ctr_lift),
        ] {
            if !(v.is_finite() && v > -1.0) {
                return Err(Error::invalid(&format!("{prefix}.{name}"), v, "a relative lift greater than -1"));
            }
        }
        if !(0.0..1.0).contains(&self.cannibalization) {
            let name = if prefix == "treatment" {
                "--cannibalization".to_string()
            } else {
                format!("{prefix}.cannibalization")
            };
            return Err(Error::invalid(&name, self.cannibalization, "a share in [0, 1)"));
        }
        for (name, w) in self.surface_weights.iter().chain(&self.cohort_weights) {
            check_non_negative(&format!("{prefix} weight {name}"), *w)?;
        }
        Ok(())
    }
}

/// Traffic and unit economics of one store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreProfile {
    /// Profile name.
    pub name: String,
    /// Gross order revenue per year, USD.
    pub annual_revenue_usd: f64,
    /// Average order value, USD (≈ $80 for a typical DTC store).
    pub aov_usd: f64,
    /// Coefficient of variation of order value (≈ 1; lognormal).
    pub aov_cv: f64,
    /// Orders per session (2–3%, the industry average).
    pub conversion_rate: f64,
    /// Mean units per order (UPT ≈ 1.4, operators' benchmark).
    pub units_per_order: f64,
    /// Gross margin after cost of goods, a fraction of order value.
    pub gross_margin_rate: f64,
    /// Outbound shipping cost per order, USD.
    pub shipping_cost_usd: f64,
    /// Payment and platform transaction fees, a fraction of order value.
    pub payment_fee_rate: f64,
    /// Share of orders returned (10–30% by category).
    pub return_rate: f64,
    /// Cost of handling one return (return shipping, restocking), USD.
    pub return_cost_usd: f64,
    /// Relative traffic Monday..Sunday (normalized to mean 1).
    pub weekday_weights: [f64; 7],
    /// Day-to-day lognormal noise of traffic (coefficient of variation).
    pub daily_noise_cv: f64,
    /// Shape `k` of the Gamma spread of visit rates across people (the NBD
    /// reach model, [`crate::sim::traffic`]); smaller means a few heavy
    /// visitors and more returning sessions. 0.5 by default (an assumption).
    pub visit_rate_shape: f64,
    /// Traffic growth per year, a fraction (0.2 = +20% a year; 0 = flat).
    pub traffic_trend_per_year: f64,
    /// Seasonal amplitude of traffic, a fraction in [0, 1): traffic is
    /// `1 + A·cos(2π(day of year − peak)/365)` times the average.
    pub seasonal_amplitude: f64,
    /// Day of year of the seasonal peak (330 ≈ late November, the Q4 peak).
    pub seasonal_peak_day: f64,
    /// Spread σ of each visitor's latent log-propensity to buy; it drives
    /// both pre-period and in-test orders, so it sets the CUPED correlation.
    pub propensity_sd: f64,
    /// Personalization platform fee, USD per month, charged against the
    /// treatment arm's contribution margin ($1,500–$5,000 for paid tools).
    pub platform_fee_usd_per_month: f64,
    /// Visitor cohorts.
    pub cohorts: Vec<CohortProfile>,
    /// Recommendation surfaces.
    pub surfaces: Vec<SurfaceProfile>,
    /// The treatment effect (the two-arm `treatment` arm).
    pub treatment: TreatmentEffect,
    /// Products on sale (SKUs): with orders, what a recommendation model
    /// learns from ([`ModelPolicy::learning`]).
    pub sku_count: f64,
    /// The two personalization policies of a rules-vs-model comparison
    /// (`simulate --arms control=…,rules=…,model=…`, `liftlab compare`).
    pub policies: Policies,
}

/// A rule-based recommendation module (static bestsellers, rule-based cart
/// bundles): a fixed lift over no module, whatever the store's size.
///
/// The default lifts are assumptions inside the plausible 1–3% band of
/// honest holdouts (DESIGN.md, "The store model"): +1.5% conversion, +1%
/// order value (bundles raise units per order), +5% click-through, twice as
/// strong on the cart (bundles) and half as strong on post-purchase and
/// e-mail. Rule modules ship with the storefront or cost an app fee of
/// tens of dollars a month: 0 by default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RulesPolicy {
    /// The module's true effect over no module.
    pub effect: TreatmentEffect,
    /// Fee, USD per month.
    pub fee_usd_per_month: f64,
}

impl Default for RulesPolicy {
    fn default() -> Self {
        let weights = |pairs: &[(&str, f64)]| pairs.iter().map(|&(k, v)| (k.to_string(), v)).collect();
        Self {
            effect: TreatmentEffect {
                conversion_lift: 0.015,
                aov_lift: 0.01,
                margin_mix_lift: 0.0,
                ctr_lift: 0.05,
                cannibalization: 0.7,
                surface_weights: weights(&[("cart", 2.0), ("post_purchase", 0.5), ("email", 0.5)]),
                cohort_weights: Default::default(),
            },
            fee_usd_per_month: 0.0,
        }
    }
}

/// A paid ML recommendation model: the rules' effect plus an advantage that
/// grows with the data the store gives it, minus a monthly platform fee.
///
/// # Learning curve (an assumption, swept by `liftlab compare`)
/// The advantage over rules is `gap · ℓ`, with the learning factor
/// `ℓ = h(O; O½, s) · h(S; S½, s)`, `h(x; x½, s) = xˢ / (xˢ + x½ˢ)` a
/// saturating (Hill) curve, `O` the store's orders per month and `S` its
/// SKU count. At saturation (`ℓ → 1`) the model beats rules by
/// `rpv_gap` = +1.2% revenue per visitor (as extra conversion) and
/// `ctr_gap` = +8% click-through: the figures of a 25-store study quoted by
/// practitioners, ML recommendations against static bestseller modules.
/// Practitioners put the floor below which a model has too little data to
/// beat rules at about $2M a year, 500 orders a month or 50 SKUs; published
/// learning curves (recommender accuracy against interactions, e.g. the
/// MovieLens and Amazon benchmarks) start orders of magnitude above a small
/// store's volume, so they cannot be transplanted. The defaults
/// `O½` = 5,000 orders a month (≈ $4.8M a year at an $80 AOV), `S½` = 100
/// SKUs and steepness `s` = 3 put `ℓ` at 0.01 at 500 orders a month, 0.07 at
/// $2M a year, 0.5 at $4.8M and 0.99 at $20M: near zero below the
/// practitioners' floor, saturated at large stores.
///
/// # Fee
/// Paid personalization platforms charge $1,500–$5,000 a month to stores
/// of this size (vendors' public price lists); $2,500 by default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelPolicy {
    /// Revenue-per-visitor advantage over rules at saturation, a fraction
    /// (0.012 = +1.2%), delivered as extra conversion.
    pub rpv_gap: f64,
    /// Click-through advantage over rules at saturation, a fraction.
    pub ctr_gap: f64,
    /// Orders per month at which the model has half its advantage (`O½`).
    pub half_saturation_orders_per_month: f64,
    /// SKU count at which the model has half its advantage (`S½`).
    pub half_saturation_skus: f64,
    /// Steepness `s` of the learning curve.
    pub learning_steepness: f64,
    /// Platform fee, USD per month.
    pub fee_usd_per_month: f64,
    /// Share of the orders the vendor counts as influenced that would have
    /// happened anyway (≈ 0.7 in audits of mid-market stores).
    pub cannibalization: f64,
}

impl Default for ModelPolicy {
    fn default() -> Self {
        Self {
            rpv_gap: 0.012,
            ctr_gap: 0.08,
            half_saturation_orders_per_month: 5_000.0,
            half_saturation_skus: 100.0,
            learning_steepness: 3.0,
            fee_usd_per_month: 2_500.0,
            cannibalization: 0.7,
        }
    }
}

impl ModelPolicy {
    /// The learning factor `ℓ ∈ [0, 1)` for a store with `orders_per_month`
    /// orders a month and `skus` products (type docs for the formula).
    pub fn learning(&self, orders_per_month: f64, skus: f64) -> f64 {
        let hill = |x: f64, half: f64| {
            let r = (half / x.max(f64::MIN_POSITIVE)).powf(self.learning_steepness);
            1.0 / (1.0 + r)
        };
        hill(orders_per_month, self.half_saturation_orders_per_month) * hill(skus, self.half_saturation_skus)
    }
}

/// The policies a store can choose between.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policies {
    /// A rule-based module.
    pub rules: RulesPolicy,
    /// A paid ML model.
    pub model: ModelPolicy,
}

/// Names of the arms a multi-arm simulation can have, besides `control`.
pub const POLICY_NAMES: &[&str] = &["treatment", "rules", "model"];

fn cohort(name: &str, share: f64, conv: f64, aov: f64, sessions: f64, pre: f64) -> CohortProfile {
    CohortProfile {
        name: name.into(),
        share,
        conversion_multiplier: conv,
        aov_multiplier: aov,
        sessions_per_visitor: sessions,
        pre_period_orders: pre,
    }
}

fn surface(name: &str, share: f64, ctr: f64) -> SurfaceProfile {
    SurfaceProfile { name: name.into(), share, ctr }
}

impl Default for StoreProfile {
    /// The $1.5M store: AOV $80 (CV 1), 2.5% conversion, UPT 1.4, 15% returns.
    fn default() -> Self {
        Self {
            name: "1.5m".into(),
            annual_revenue_usd: 1_500_000.0,
            aov_usd: 80.0,
            aov_cv: 1.0,
            conversion_rate: 0.025,
            units_per_order: 1.4,
            gross_margin_rate: 0.55,
            shipping_cost_usd: 7.0,
            payment_fee_rate: 0.029,
            return_rate: 0.15,
            return_cost_usd: 10.0,
            weekday_weights: [1.0, 0.98, 0.97, 0.98, 1.0, 1.02, 1.05],
            daily_noise_cv: 0.10,
            visit_rate_shape: 0.5,
            traffic_trend_per_year: 0.0,
            seasonal_amplitude: 0.0,
            seasonal_peak_day: 330.0,
            propensity_sd: 1.0,
            platform_fee_usd_per_month: 0.0,
            cohorts: vec![
                cohort("first_time", 0.55, 0.6, 0.95, 1.3, 0.0),
                cohort("engaged_30", 0.10, 2.5, 1.10, 2.5, 3.0),
                cohort("engaged_90", 0.15, 1.6, 1.05, 1.8, 2.0),
                cohort("lapsed", 0.20, 0.9, 1.00, 1.4, 1.2),
            ],
            surfaces: vec![
                surface("homepage", 0.35, 0.03),
                surface("pdp", 0.40, 0.06),
                surface("cart", 0.12, 0.08),
                surface("post_purchase", 0.05, 0.04),
                surface("email", 0.08, 0.10),
            ],
            treatment: TreatmentEffect::default(),
            sku_count: 1_000.0,
            policies: Policies::default(),
        }
    }
}

/// Preset names and their annual revenue, USD.
pub const PRESETS: &[(&str, f64)] =
    &[("0.5m", 500_000.0), ("1.5m", 1_500_000.0), ("5m", 5_000_000.0), ("20m", 20_000_000.0), ("100m", 100_000_000.0)];

impl StoreProfile {
    /// The default economics at a given annual revenue.
    pub fn with_annual_revenue(annual_revenue_usd: f64) -> Self {
        Self { name: "custom".into(), annual_revenue_usd, ..Self::default() }
    }

    /// A preset by name: `0.5m`, `1.5m`, `5m`, `20m`, `100m` (case-insensitive,
    /// a leading `$` allowed).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the presets for an unknown name.
    pub fn preset(name: &str) -> Result<Self> {
        let key = name.trim().trim_start_matches('$').to_ascii_lowercase();
        PRESETS
            .iter()
            .find(|(n, _)| *n == key)
            .map(|&(n, r)| Self { name: n.into(), ..Self::with_annual_revenue(r) })
            .ok_or_else(|| {
                Error::invalid(
                    "--store",
                    name,
                    &format!(
                        "a preset ({}) or a profile file (.json)",
                        PRESETS.iter().map(|p| p.0).collect::<Vec<_>>().join(", ")
                    ),
                )
            })
    }

    /// A preset name or, when `spec` names a `.json` file or an existing
    /// path, a profile file.
    ///
    /// # Errors
    /// As [`StoreProfile::preset`] and [`StoreProfile::load`].
    pub fn from_spec(spec: &str) -> Result<Self> {
        let path = Path::new(spec);
        if spec.ends_with(".json") || path.exists() { Self::load(path) } else { Self::preset(spec) }
    }

    /// Reads a profile from a JSON file; missing fields take the defaults.
    ///
    /// # Errors
    /// [`Error::Io`] if unreadable; [`Error::InvalidParameter`] naming the
    /// file, line and column for malformed JSON or unknown fields; as
    /// [`StoreProfile::validate`].
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        let profile: Self = serde_json::from_str(&text).map_err(|e| {
            Error::invalid(
                "--store",
                path.display(),
                &format!("a valid store profile (line {}, column {}: {e})", e.line(), e.column()),
            )
        })?;
        // Name the file with the field: "invalid p.json: gross_margin_rate = 5: ...".
        profile.validate().map_err(|e| match e {
            Error::InvalidParameter { name, value, expected } => {
                Error::InvalidParameter { name: format!("{}: {name}", path.display()), value, expected }
            }
            other => other,
        })?;
        Ok(profile)
    }

    /// Writes the profile as pretty JSON.
    ///
    /// # Errors
    /// [`Error::Write`] if the file cannot be written (atomically: nothing
    /// is left at the path on failure).
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).expect("a profile serializes");
        crate::io::write_atomic(path, (text + "\n").as_bytes())
    }

    /// Checks every field's domain.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the field.
    pub fn validate(&self) -> Result<()> {
        crate::limits::check_revenue("annual_revenue_usd", self.annual_revenue_usd)?;
        check_positive("aov_usd", self.aov_usd)?;
        check_non_negative("aov_cv", self.aov_cv)?;
        check_open_unit("conversion_rate", self.conversion_rate)?;
        if !(self.units_per_order >= 1.0 && self.units_per_order.is_finite()) {
            return Err(Error::invalid("units_per_order", self.units_per_order, "a mean of at least 1"));
        }
        let unit_var = self.units_per_order - 1.0;
        if self.aov_cv * self.aov_cv < unit_var / (self.units_per_order * self.units_per_order) {
            return Err(Error::invalid(
                "aov_cv",
                self.aov_cv,
                "a CV large enough for the spread of units per order (about 0.45 at UPT 1.4)",
            ));
        }
        for (name, rate) in [("gross_margin_rate", self.gross_margin_rate), ("payment_fee_rate", self.payment_fee_rate)]
        {
            if !(0.0..1.0).contains(&rate) {
                return Err(Error::invalid(name, rate, "a rate in [0, 1) (0.55 = 55% of revenue)"));
            }
        }
        check_non_negative("shipping_cost_usd", self.shipping_cost_usd)?;
        check_non_negative("return_cost_usd", self.return_cost_usd)?;
        if !(0.0..1.0).contains(&self.return_rate) {
            return Err(Error::invalid("return_rate", self.return_rate, "a share in [0, 1)"));
        }
        for w in self.weekday_weights {
            check_positive("weekday_weights", w)?;
        }
        check_non_negative("daily_noise_cv", self.daily_noise_cv)?;
        check_positive("visit_rate_shape", self.visit_rate_shape)?;
        if !(self.traffic_trend_per_year > -1.0 && self.traffic_trend_per_year.is_finite()) {
            return Err(Error::invalid(
                "traffic_trend_per_year",
                self.traffic_trend_per_year,
                "a growth rate above -1",
            ));
        }
        if !(0.0..1.0).contains(&self.seasonal_amplitude) {
            return Err(Error::invalid("seasonal_amplitude", self.seasonal_amplitude, "a fraction in [0, 1)"));
        }
        if !self.seasonal_peak_day.is_finite() {
            return Err(Error::invalid("seasonal_peak_day", self.seasonal_peak_day, "a day of year"));
        }
        check_non_negative("propensity_sd", self.propensity_sd)?;
        check_non_negative("platform_fee_usd_per_month", self.platform_fee_usd_per_month)?;
        if self.cohorts.is_empty() || self.surfaces.is_empty() {
            return Err(Error::invalid("cohorts/surfaces", "(empty)", "at least one cohort and one surface"));
        }
        for (list, shares) in [
            ("cohorts", self.cohorts.iter().map(|c| (&c.name, c.share)).collect::<Vec<_>>()),
            ("surfaces", self.surfaces.iter().map(|s| (&s.name, s.share)).collect()),
        ] {
            for (name, share) in &shares {
                if !(*share > 0.0 && *share <= 1.0) {
                    return Err(Error::invalid(&format!("{list}.{name}.share"), share, "a share in (0, 1]"));
                }
            }
            let total: f64 = shares.iter().map(|s| s.1).sum();
            if (total - 1.0).abs() > 1e-3 {
                return Err(Error::invalid(
                    &format!("{list}.*.share"),
                    total,
                    "shares that sum to 1 (they are fractions of the visitors or sessions)",
                ));
            }
            let mut names: Vec<&String> = shares.iter().map(|s| s.0).collect();
            names.sort();
            if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
                return Err(Error::invalid(&format!("{list}.name"), w[0], "names that appear once"));
            }
        }
        for c in &self.cohorts {
            check_positive(&format!("cohorts.{}.conversion_multiplier", c.name), c.conversion_multiplier)?;
            check_positive(&format!("cohorts.{}.aov_multiplier", c.name), c.aov_multiplier)?;
            if !(c.sessions_per_visitor >= 1.0 && c.sessions_per_visitor.is_finite()) {
                return Err(Error::invalid(
                    &format!("cohorts.{}.sessions_per_visitor", c.name),
                    c.sessions_per_visitor,
                    "a mean of at least 1",
                ));
            }
            check_non_negative(&format!("cohorts.{}.pre_period_orders", c.name), c.pre_period_orders)?;
        }
        for s in &self.surfaces {
            check_positive(&format!("surfaces.{}.share", s.name), s.share)?;
            check_open_unit(&format!("surfaces.{}.ctr", s.name), s.ctr)?;
        }
        self.treatment.validate("treatment")?;
        self.policies.rules.effect.validate("policies.rules.effect")?;
        for (prefix, effect) in [("treatment", &self.treatment), ("policies.rules.effect", &self.policies.rules.effect)]
        {
            self.check_weight_names(prefix, effect)?;
        }
        check_non_negative("policies.rules.fee_usd_per_month", self.policies.rules.fee_usd_per_month)?;
        check_positive("sku_count", self.sku_count)?;
        let m = &self.policies.model;
        for (name, v) in [("policies.model.rpv_gap", m.rpv_gap), ("policies.model.ctr_gap", m.ctr_gap)] {
            if !(v.is_finite() && v > -1.0) {
                return Err(Error::invalid(name, v, "a relative advantage greater than -1"));
            }
        }
        check_positive("policies.model.half_saturation_orders_per_month", m.half_saturation_orders_per_month)?;
        check_positive("policies.model.half_saturation_skus", m.half_saturation_skus)?;
        check_positive("policies.model.learning_steepness", m.learning_steepness)?;
        check_non_negative("policies.model.fee_usd_per_month", m.fee_usd_per_month)?;
        if !(0.0..1.0).contains(&m.cannibalization) {
            return Err(Error::invalid("policies.model.cannibalization", m.cannibalization, "a share in [0, 1)"));
        }
        Ok(())
    }

    /// Checks that an effect's surface and cohort weights name this
    /// profile's surfaces and cohorts (a misspelt name was silently ignored).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the field and the allowed names.
    fn check_weight_names(&self, prefix: &str, effect: &TreatmentEffect) -> Result<()> {
        let surfaces: Vec<&str> = self.surfaces.iter().map(|s| s.name.as_str()).collect();
        let cohorts: Vec<&str> = self.cohorts.iter().map(|c| c.name.as_str()).collect();
        for (field, weights, allowed) in [
            ("surface_weights", &effect.surface_weights, &surfaces),
            ("cohort_weights", &effect.cohort_weights, &cohorts),
        ] {
            if let Some(bad) = weights.keys().find(|k| !allowed.contains(&k.as_str())) {
                return Err(Error::invalid(
                    &format!("{prefix}.{field}.{bad}"),
                    weights[bad],
                    &format!("a weight for one of: {}", allowed.join(", ")),
                ));
            }
        }
        Ok(())
    }

    /// Orders per month, `revenue / AOV / 12`.
    pub fn orders_per_month(&self) -> f64 {
        self.annual_revenue_usd / self.aov_usd / 12.0
    }

    /// The model's learning factor at this store ([`ModelPolicy::learning`]).
    pub fn model_learning(&self) -> f64 {
        self.policies.model.learning(self.orders_per_month(), self.sku_count)
    }

    /// The true effect and monthly fee of an arm: `treatment` (the profile's
    /// treatment and platform fee), `rules` or `model` (the rules' effect
    /// with the learned advantage: conversion `(1 + c_rules)(1 + gap·ℓ) − 1`,
    /// click-through `(1 + t_rules)(1 + ctr_gap·ℓ) − 1`, the model's
    /// cannibalization and fee).
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the allowed arms.
    pub fn policy(&self, name: &str) -> Result<(TreatmentEffect, f64)> {
        match name {
            "treatment" => Ok((self.treatment.clone(), self.platform_fee_usd_per_month)),
            "rules" => Ok((self.policies.rules.effect.clone(), self.policies.rules.fee_usd_per_month)),
            "model" => {
                let m = &self.policies.model;
                let l = self.model_learning();
                let mut e = self.policies.rules.effect.clone();
                e.conversion_lift = (1.0 + e.conversion_lift) * (1.0 + m.rpv_gap * l) - 1.0;
                e.ctr_lift = (1.0 + e.ctr_lift) * (1.0 + m.ctr_gap * l) - 1.0;
                e.cannibalization = m.cannibalization;
                Ok((e, m.fee_usd_per_month))
            }
            other => {
                Err(Error::invalid("--arms", other, &format!("control or a policy ({})", POLICY_NAMES.join(", "))))
            }
        }
    }

    /// Expected sessions per day, `revenue / AOV / conversion / 365`.
    pub fn sessions_per_day(&self) -> f64 {
        self.annual_revenue_usd / self.aov_usd / self.conversion_rate / DAYS_PER_YEAR
    }

    /// Mean sessions per visitor over the test window, cohort-weighted.
    pub fn sessions_per_visitor(&self) -> f64 {
        let total: f64 = self.cohorts.iter().map(|c| c.share).sum();
        self.cohorts.iter().map(|c| c.share * c.sessions_per_visitor).sum::<f64>() / total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_scale_traffic_with_revenue() {
        let small = StoreProfile::preset("0.5m").unwrap();
        let big = StoreProfile::preset("$100M").unwrap();
        assert!((big.sessions_per_day() / small.sessions_per_day() - 200.0).abs() < 1e-9);
        assert!((StoreProfile::default().sessions_per_day() - 1_500_000.0 / 80.0 / 0.025 / 365.0).abs() < 1e-9);
        let err = StoreProfile::preset("2m").unwrap_err().to_string();
        assert!(err.contains("0.5m, 1.5m, 5m, 20m, 100m"), "{err}");
    }

    #[test]
    fn profiles_round_trip_through_json() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.json");
        let mut p = StoreProfile::preset("5m").unwrap();
        p.treatment.surface_weights.insert("email".into(), 3.0);
        p.save(&path).unwrap();
        assert_eq!(StoreProfile::load(&path).unwrap(), p);
        std::fs::write(&path, r#"{"annual_revenue_usd": 2e6, "aov_usd": 95}"#).unwrap();
        let partial = StoreProfile::load(&path).unwrap();
        assert_eq!(partial.aov_usd, 95.0);
        assert_eq!(partial.units_per_order, 1.4);
        std::fs::write(&path, r#"{"annual_revenue": 2e6}"#).unwrap();
        assert!(StoreProfile::load(&path).unwrap_err().to_string().contains("annual_revenue"));
        std::fs::write(&path, r#"{"conversion_rate": 1.5}"#).unwrap();
        assert!(StoreProfile::load(&path).unwrap_err().to_string().contains("conversion_rate"));
    }
}
