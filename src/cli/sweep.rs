//! `liftlab sweep` and `liftlab sweep merge`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use super::Progress;
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use indicatif::ProgressStyle;

use super::emit;
use liftlab::report::json::command_line;
use liftlab::sweep::{Grid, Shard, merge, run_shard, summary_table, write_shard};

/// Flags of `liftlab sweep`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct SweepArgs {
    #[command(subcommand)]
    command: Option<SweepCommand>,
    /// Grid file (TOML): stores, days, holdouts, lifts, methods, replicates.
    #[arg(value_name = "GRID", required = true)]
    grid: Option<PathBuf>,
    /// Output directory: shard files, and after a merge the results and summary.
    #[arg(long, value_name = "DIR", required = true)]
    out: Option<PathBuf>,
    /// Run one shard of the sweep, i of N (numbered from 0: 0/4 … 3/4): every
    /// N-th (scenario, replicate) address from i, so shards take equal work.
    /// Without it, SLURM_ARRAY_TASK_ID (minus SLURM_ARRAY_TASK_MIN) of
    /// SLURM_ARRAY_TASK_COUNT, or Kubernetes' JOB_COMPLETION_INDEX of
    /// --shard-count (or LIFTLAB_SHARD_COUNT); with none of them, the whole
    /// sweep, merged at once.
    #[arg(long, value_name = "i/N")]
    shard: Option<String>,
    /// Number of shards when the index comes from the environment
    /// (JOB_COMPLETION_INDEX, or a Slurm array without SLURM_ARRAY_TASK_COUNT).
    #[arg(long, value_name = "N")]
    shard_count: Option<u64>,
}

#[derive(Debug, Subcommand)]
enum SweepCommand {
    /// Merge the shard files of DIR into results.jsonl, summary.jsonl and
    /// summary.csv, checking they come from one grid and none is missing.
    Merge {
        /// The directory the shards were written to (--out).
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

/// A number from an environment variable, or `None` when unset.
fn env_number(name: &str) -> Result<Option<u64>> {
    match std::env::var(name) {
        Err(_) => Ok(None),
        Ok(v) => v
            .trim()
            .parse()
            .map(Some)
            .with_context(|| format!("environment variable {name} = {v:?}: expected a whole number")),
    }
}

/// The shard to run: the flag, else a Slurm array task, else a Kubernetes
/// Indexed Job completion index, else `None` (the whole sweep).
fn resolve_shard(args: &SweepArgs) -> Result<Option<Shard>> {
    if let Some(spec) = &args.shard {
        return Ok(Some(Shard::parse(spec)?));
    }
    let count_from = |env_count: Option<u64>, what: &str| -> Result<u64> {
        args.shard_count.or(env_count).with_context(|| {
            format!("{what} is set but the number of shards is not: pass --shard-count N (or --shard i/N)")
        })
    };
    if let Some(id) = env_number("SLURM_ARRAY_TASK_ID")? {
        let min = env_number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        let count = count_from(env_number("SLURM_ARRAY_TASK_COUNT")?, "SLURM_ARRAY_TASK_ID")?;
        let index = id.checked_sub(min).context("SLURM_ARRAY_TASK_ID is below SLURM_ARRAY_TASK_MIN")?;
        return Ok(Some(Shard::new(index, count).context("the shard from SLURM_ARRAY_TASK_ID")?));
    }
    if let Some(index) = env_number("JOB_COMPLETION_INDEX")? {
        let count = count_from(env_number("LIFTLAB_SHARD_COUNT")?, "JOB_COMPLETION_INDEX")?;
        return Ok(Some(Shard::new(index, count).context("the shard from JOB_COMPLETION_INDEX")?));
    }
    Ok(None)
}

/// A progress bar on a terminal's stderr, hidden otherwise.
fn progress_bar(total: usize, what: &str) -> Progress {
    if !std::io::stderr().is_terminal() {
        return Progress::hidden();
    }
    let b = Progress::new(total as u64);
    let template = format!("{what} {{pos}}/{{len}} replicates {{bar:40}} {{elapsed}} eta {{eta}}");
    b.set_style(ProgressStyle::with_template(&template).expect("valid template"));
    b
}

fn merge_and_report(dir: &Path) -> Result<()> {
    let merged = merge(dir, &command_line()).with_context(|| format!("cannot merge {}", dir.display()))?;
    let h = &merged.header;
    let mut text = format!(
        "liftlab sweep: {} ({} scenarios x {} replicates, grid {}), {} shard(s) merged\n\n",
        h.grid_file,
        h.grid.scenarios().len(),
        h.grid.replicates,
        h.grid_hash,
        merged.shards.len()
    );
    text += &summary_table(&merged.summary);
    text += "\npower: share of tests significant in the right direction; A/A false pos.: share of A/A twins significant (should be within about 2 MC SE of alpha); ± is the Monte Carlo standard error.\nwritten:";
    for p in &merged.written {
        text += &format!(" {}", p.display());
    }
    text.push('\n');
    emit(&text)?;
    for row in merged.summary.iter().filter(|r| r.degenerate * 100 > r.replicates) {
        note!(
            "warning: scenario {} ({}, {} days, holdout {}), {}: {} of {} replicates were degenerate (no analysis possible) and are left out of its rates",
            row.scenario,
            row.store,
            row.days,
            row.holdout,
            row.metric,
            row.degenerate,
            row.replicates
        );
    }
    Ok(())
}

/// Runs `liftlab sweep`.
pub fn run(args: SweepArgs) -> Result<()> {
    if let Some(SweepCommand::Merge { dir }) = &args.command {
        return merge_and_report(dir);
    }
    let (Some(path), Some(out)) = (&args.grid, &args.out) else {
        bail!("usage: liftlab sweep GRID --out DIR [--shard i/N], or liftlab sweep merge DIR");
    };
    let grid = Grid::load(path)?;
    let shard = resolve_shard(&args)?;
    let run_as = shard.unwrap_or(Shard::ALL);
    let share = run_as.len(grid.units()) as f64 / grid.units().max(1) as f64;
    let seconds =
        liftlab::limits::check_sessions("the grid's replicates, days and stores", grid.simulated_sessions() * share)?
            + liftlab::limits::check_permuted_units(
                "the grid's replicates and permutations",
                grid.permuted_units() * share,
            )?;
    let what = if shard.is_some() { "this shard simulates" } else { "the sweep simulates" };
    liftlab::limits::announce(&format!("{what} {} tests", run_as.len(grid.units())), seconds);
    let bar = progress_bar(run_as.len(grid.units()) as usize, &format!("shard {}/{}", run_as.index, run_as.count));
    let rows = run_shard(&grid, run_as, &|done, _| bar.set_position(done as u64));
    bar.finish_and_clear();
    let rows = rows?;
    let file = write_shard(out, &grid, path, run_as, &command_line(), &rows)?;
    if shard.is_some() {
        note!(
            "wrote {} ({} replicates, addresses {}, {}, ... of {}); when all {} shards are done: liftlab sweep merge {}",
            file.display(),
            rows.len(),
            run_as.index,
            run_as.index + run_as.count,
            grid.units(),
            run_as.count,
            out.display()
        );
        return Ok(());
    }
    merge_and_report(out)
}
