//! `bedside`: the command line. See docs/command-line.md for every command and option.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use jiff::civil::DateTime;

use bedside::config::{self, Config};
use bedside::domain::button::{self, Button};
use bedside::input::device::DeviceClass;
use bedside::launch::{self, BenchChild, LaunchError, Setup, Snapshot};
use bedside::sync::engine::{Engine, open_store};
use bedside::sync::service::Event;
use bedside::sync::summary::Summary;

#[derive(Parser)]
#[command(
    name = "bedside",
    version,
    about = "The appliance for the TV in a hospital room"
)]
struct Cli {
    /// The configuration file [default: /etc/bedside/bedside.toml]
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Run with built-in demo content: a demo patient admitted to a demo bed, no backend
    #[arg(long, global = true)]
    demo: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Render the UI headless (software renderer, no display) after pressing buttons, to a PNG
    Snapshot {
        /// Where to write the PNG
        #[arg(long, value_name = "FILE.png")]
        out: PathBuf,
        /// Buttons to press first, comma-separated lower-case names: "right,right,ok,back"
        #[arg(long, value_name = "LIST", value_parser = parse_keys, default_value = "")]
        keys: KeyList,
        /// Picture size in pixels
        #[arg(long, value_name = "WxH", value_parser = parse_size, default_value = "1920x1080")]
        size: (u32, u32),
        /// Fix the clock, e.g. 2026-11-25T09:41 (local time) [default: now]
        #[arg(long, value_name = "DATETIME")]
        now: Option<DateTime>,
        /// Play recorded input first, at its recorded pace: an evemu recording or raw 24-byte
        /// input_event records
        #[arg(long, value_name = "FILE")]
        replay: Option<PathBuf>,
        /// Play the recording as this kind of device: remote, pillow-speaker, keyboard or
        /// badge-reader [default: from the recording's description; remote for raw streams]
        #[arg(long, value_name = "CLASS", value_parser = parse_class, requires = "replay")]
        replay_class: Option<DeviceClass>,
        /// Keep running this many milliseconds (real time) after the last key before the
        /// picture is taken, so a playing video shows in it
        #[arg(long, value_name = "MS", default_value_t = 0)]
        wait: u64,
        /// A staff badge read before the keys, as a badge reader would give it (clinician
        /// sign-in: then type the PIN with --keys)
        #[arg(long, value_name = "NUMBER")]
        badge: Option<String>,
    },
    /// Sync with the hospital's FHIR backend: resolve the bed, load or update the patient's
    /// chart, deliver the outbox, erase a discharged patient's data; print a one-line JSON
    /// summary after each pass
    Sync {
        /// One pass, then exit (0 if it completed)
        #[arg(long)]
        once: bool,
    },
    /// Print the one-line JSON summary of what the store holds, without any network
    Status,
    /// A child process for `cargo bench --bench shell` to measure
    #[command(hide = true)]
    BenchChild {
        #[arg(value_enum)]
        what: BenchChild,
    },
}

/// The buttons of `--keys`, in order.
#[derive(Clone)]
struct KeyList(Vec<Button>);

fn parse_keys(list: &str) -> Result<KeyList, button::UnknownButton> {
    button::parse_list(list).map(KeyList)
}

fn parse_class(name: &str) -> Result<DeviceClass, String> {
    DeviceClass::from_name(name)
        .filter(|c| *c != DeviceClass::Other)
        .ok_or_else(|| format!("`{name}` is not remote, pillow-speaker, keyboard or badge-reader"))
}

fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let bad = || format!("`{text}` is not a size like 1920x1080 (each side 16 to 8192)");
    let (w, h) = text.split_once(['x', 'X']).ok_or_else(bad)?;
    let side = |s: &str| {
        s.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (16..=8192).contains(n))
    };
    Ok((side(w).ok_or_else(bad)?, side(h).ok_or_else(bad)?))
}

fn init_logging(default: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("BEDSIDE_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    // Colours only for a person at a terminal, never in a file or a pipe.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    // Under systemd the journal stamps every line already.
    if std::env::var_os("JOURNAL_STREAM").is_some() {
        builder.without_time().with_ansi(false).init();
    } else {
        builder.init();
    }
}

fn load_config(path: Option<&std::path::Path>) -> Result<Config, ExitCode> {
    Config::load(path.unwrap_or(std::path::Path::new(config::DEFAULT_PATH))).map_err(|e| {
        eprintln!("bedside: {e}");
        ExitCode::from(2)
    })
}

/// `bedside sync [--once]`: passes and their summaries. Exit 0 when the (last) pass completed,
/// 1 when it did not (the summary then says why in `error`), 2 for a config that cannot work.
fn sync_command(path: Option<&std::path::Path>, once: bool) -> ExitCode {
    let config = match load_config(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if !once {
        // The appliance's own loop, printing a summary per pass, until killed.
        let (tx, rx) = std::sync::mpsc::channel();
        let notify = bedside::sync::service::start_listener(&config, tx.clone());
        bedside::sync::service::run(&config, notify, &rx, |event| {
            if let Event::Pass(engine, result) = event {
                print_summary(&config, engine, result.as_ref());
            }
        });
        return ExitCode::SUCCESS;
    }
    let mut engine = match Engine::open(&config) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("bedside: {e}");
            return ExitCode::from(2);
        }
    };
    engine.eager = true;
    if let Some(r) = &engine.recovery {
        eprintln!(
            "bedside: the store was unreadable ({}); set aside as {}, {} outbox item(s) recovered, rebuilt",
            r.reason,
            r.set_aside.display(),
            r.outbox_salvaged
        );
    }
    let result = engine.pass();
    if result.is_ok() {
        // What Learn's material the record points at, fetched ahead as the appliance does.
        match bedside::learn::cache::fill_once(&config) {
            Ok(true) => {}
            Ok(false) => eprintln!("bedside: some of Learn's material could not be fetched ahead"),
            Err(e) => eprintln!("bedside: Learn's cache: {e}"),
        }
    }
    if !print_summary(&config, &engine, result.as_ref()) {
        return ExitCode::FAILURE;
    }
    if result.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Prints the one-line summary of a pass (and its error on stderr); false if even the store
/// could not be read.
fn print_summary(
    config: &Config,
    engine: &Engine,
    result: Result<&bedside::sync::engine::PassReport, &bedside::sync::SyncError>,
) -> bool {
    let summary = Summary::of(
        config,
        engine.store(),
        result.ok(),
        engine.recovery.is_some(),
    );
    let mut summary = match summary {
        Ok(s) => s,
        Err(e) => {
            eprintln!("bedside: {e}");
            return false;
        }
    };
    if let Err(e) = result {
        eprintln!("bedside: sync: {e}");
        summary.error = Some(e.to_string());
    }
    println!("{}", summary.to_line());
    true
}

/// `bedside status`: the summary from the store alone.
fn status_command(path: Option<&std::path::Path>) -> ExitCode {
    let config = match load_config(path) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let result = open_store(&config)
        .map_err(|e| e.to_string())
        .and_then(|(store, rec)| {
            Summary::of(&config, &store, None, rec.is_some()).map_err(|e| e.to_string())
        });
    match result {
        Ok(summary) => {
            println!("{}", summary.to_line());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bedside: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The appliance itself: the UI on a display, with the IO runtime entered on this (the UI)
/// thread for the whole run (see `bedside::system`). A reload starts the same program afresh
/// in this process (systemd keeps following its pid).
fn run_appliance(config: Option<&std::path::Path>, demo: bool) -> ExitCode {
    let runtime = match bedside::system::runtime() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bedside: cannot start the IO runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let _entered = runtime.enter();
    let result = Setup::load(config, demo)
        .and_then(|setup| launch::run_on_display(setup, config, runtime.handle()));
    match result {
        Ok(bedside::system::Exit::Stopped) => ExitCode::SUCCESS,
        Ok(bedside::system::Exit::Reload) => {
            use std::os::unix::process::CommandExt;
            drop(_entered);
            runtime.shutdown_timeout(Duration::from_secs(1));
            let mut args = std::env::args_os();
            let program = std::env::current_exe().unwrap_or_else(|_| "/proc/self/exe".into());
            let mut again = std::process::Command::new(program);
            if let Some(name) = args.next() {
                again.arg0(name);
            }
            let error = again.args(args).exec();
            eprintln!("bedside: cannot start again after a reload: {error}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("bedside: {e}");
            match e {
                LaunchError::NoDisplay(_) => ExitCode::from(3),
                _ => ExitCode::FAILURE,
            }
        }
    }
}

fn main() -> ExitCode {
    launch::tune_memory();
    let cli = Cli::parse();
    let result = match cli.command {
        None => {
            // zbus warns of every proxy whose service is absent (NetworkManager or RAUC on a
            // box without them); src/system/clients.rs says that once, in words.
            init_logging("info,zbus::proxy=error");
            return run_appliance(cli.config.as_deref(), cli.demo);
        }
        Some(Command::Snapshot {
            out,
            keys,
            size,
            now,
            replay,
            replay_class,
            wait,
            badge,
        }) => {
            // A snapshot prints nothing but errors.
            init_logging("warn");
            Setup::load_at(cli.config.as_deref(), cli.demo, now).and_then(|setup| {
                launch::snapshot(
                    setup,
                    &Snapshot {
                        out,
                        size,
                        keys: keys.0,
                        now,
                        replay: replay.map(|path| (path, replay_class)),
                        wait: Duration::from_millis(wait),
                        badge,
                    },
                )
            })
        }
        Some(Command::Sync { once }) => {
            init_logging("info");
            return sync_command(cli.config.as_deref(), once);
        }
        Some(Command::Status) => {
            init_logging("warn");
            return status_command(cli.config.as_deref());
        }
        Some(Command::BenchChild { what }) => {
            init_logging("warn");
            launch::bench_child(what, (1920, 1080))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bedside: {e}");
            match e {
                LaunchError::NoDisplay(_) => ExitCode::from(3),
                _ => ExitCode::FAILURE,
            }
        }
    }
}
