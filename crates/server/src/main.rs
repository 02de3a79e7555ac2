//! The `orderly` binary: parses the command line and hands over to [`orderly::cli`].

use std::process::ExitCode;

fn main() -> ExitCode {
    orderly::cli::main()
}
