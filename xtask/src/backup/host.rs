//! Running a step of `lib/backup/steps.sh` on a host: the steps file, the machine's layout and
//! the one call go to the host's shell on standard input, over ssh as deploys do, or directly
//! to `sh` for a host at `localhost`.

use std::io::{self, Write};
use std::process::{ExitStatus, Output, Stdio};

use super::steps::{quote, steps_script, Machine};
use crate::deploy::{self, Runner};
use crate::repo::Host;

pub struct HostShell<'a> {
    pub host: &'a Host,
    pub machine: &'a Machine,
    pub runner: &'a Runner,
}

impl HostShell<'_> {
    /// Runs the step `function` with `args`, its output streaming to the terminal.
    pub fn run(&self, function: &str, args: &[&str]) -> io::Result<ExitStatus> {
        Ok(self.spawn(function, args, false)?.status)
    }

    /// Runs the step `function` with `args` for its standard output (its errors still reach
    /// the terminal).
    pub fn output(&self, function: &str, args: &[&str]) -> io::Result<Output> {
        self.spawn(function, args, true)
    }

    fn spawn(&self, function: &str, args: &[&str], capture: bool) -> io::Result<Output> {
        let call = std::iter::once(function.to_owned())
            .chain(args.iter().map(|a| quote(a)))
            .collect::<Vec<_>>()
            .join(" ");
        // On standard error, so that what a step prints for the tool (restic's JSON) stays
        // alone on standard output.
        eprintln!("{}$ {call}", self.host.name);
        // The shell reads a `{ ... }` block whole before it runs any of it, so a command in a
        // step that reads standard input never eats the script.
        let script = format!("{{\n{}\nset -eu\n{call}\n}}\n", steps_script(self.machine));
        let shell = if self.host.user == "root" { "sh -s" } else { "sudo sh -s" };
        let line = if deploy::is_local(self.host) {
            crate::deploy::CommandLine::new("sh").arg("-s")
        } else {
            deploy::ssh(self.host, shell)
        };
        let mut command = self.runner.command(&line)?;
        command.stdin(Stdio::piped()).stderr(Stdio::inherit());
        command.stdout(if capture { Stdio::piped() } else { Stdio::inherit() });
        let mut child = command.spawn()?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(script.as_bytes())?;
        }
        child.wait_with_output()
    }
}
