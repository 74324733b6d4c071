"""liftlab in ten lines: simulate a small store's holdout, read it, plan the next one."""
import liftlab

sim = liftlab.simulate(store="1.5m", days=30, lift=0.03, seed=1)  # a $1.5M/year store, 10% holdout, true lift 3%
r = liftlab.analyze(sim.to_pandas(), variant="arm", control="control", metrics=["revenue", "margin/sessions"],
                    covariate="pre_revenue", expected_split="control=1,treatment=9")
print(r.to_pandas()[["metric", "rel_effect_size", "rel_effect_size_ci_lower", "rel_effect_size_ci_upper",
                     "test.method", "test.pvalue"]].round(3).to_string(index=False))
p = liftlab.plan(store="1.5m", days=[30, 90, 365])
print(p.to_pandas().pivot(index="days", columns="metric", values="rel_mde").round(3))
print(p.verdict)
