//! The statistics engine: sufficient statistics, tests, intervals, power.
//!
//! Nothing here knows about files, flags or plots. Each function names the
//! reference implementation it matches (scipy, statsmodels) and the paper it
//! follows; `tests/reference/make_reference.py` produced the values the unit
//! tests compare against.

pub mod bootstrap;
pub mod cuped;
pub mod delta;
pub mod dist;
pub mod moments;
pub mod multiple;
pub mod permutation;
pub mod power;
pub mod sequential;
pub mod skew;
pub mod srm;
pub mod welch;

pub use bootstrap::{
    BootstrapConfig, BootstrapResult, Interval, Resampling, bootstrap_ratio_two_sample, bootstrap_two_sample,
};
pub use cuped::{CupedAdjustment, CupedResult, cuped, cuped_adjust, cuped_with, ratio_cuped, ratio_cuped_adjust};
pub use delta::{LiftInterval, RelativeLift, ratio_estimate, relative_lift, relative_lift_with};
pub use moments::{ArmEstimate, Moments, RatioMoments};
pub use multiple::{benjamini_hochberg, dunnett, holm};
pub use permutation::{
    ArmData, GroupedArms, PermutationConfig, PermutationResult, permutation_test, permutation_test_grouped,
};
pub use power::{mde, mde_multiplier, power_at, units_for_effect, zero_inflated_moments};
pub use srm::{SrmResult, srm};
pub use welch::{WelchResult, welch};
