//! `liftlab completions SHELL` and `liftlab man`: shell completion scripts
//! and a man page, generated from the command-line definitions themselves
//! (clap_complete, clap_mangen), so they never drift from `--help`.

use anyhow::{Context, Result};
use clap::{Args, CommandFactory};
use clap_complete::Shell;

/// Flags of `liftlab completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    #[arg(value_name = "SHELL")]
    shell: Shell,
}

/// Flags of `liftlab man`.
#[derive(Debug, Args)]
pub struct ManArgs {}

/// Prints the completion script for a shell on standard output.
pub fn completions(args: CompletionsArgs) -> Result<()> {
    let mut cmd = super::Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "liftlab", &mut out);
    super::emit(&String::from_utf8(out).context("completion script is not UTF-8")?)
}

/// Prints the man page (roff, section 1) on standard output: the top-level
/// page followed by one section per subcommand.
pub fn man(_args: ManArgs) -> Result<()> {
    let cmd = super::Cli::command();
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut out).context("cannot render the man page")?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("liftlab-{}", sub.get_name());
        let page = sub.clone().name(name.clone()).bin_name(name).version(env!("CARGO_PKG_VERSION"));
        clap_mangen::Man::new(page).render(&mut out).context("cannot render the man page")?;
    }
    super::emit(&String::from_utf8(out).context("man page is not UTF-8")?)
}
