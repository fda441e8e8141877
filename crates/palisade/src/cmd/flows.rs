//! `palisade flows`: VPC Flow Logs attributed to the rules that carried them.
//!
//! ```text
//! palisade flows (-i SNAPSHOT … | --endpoint URL [--region R]) [--log-format FORMAT]
//!     [--format table|json|sarif] [--records] [--lenient] LOG …
//! ```
//! `LOG` is a file (plain or gzip, by content), a directory searched recursively — the S3
//! export layout `AWSLogs/ACCOUNT/vpcflowlogs/REGION/YYYY/MM/DD/…log.gz` as it is — or `-`
//! for standard input. Records are in the default format unless `--log-format` (AWS's
//! `${field} …` syntax) says otherwise; a file's header line, as S3 delivery writes it,
//! overrides both for that file. `--records` prints one JSON line per record (its outcome
//! and rules) instead of the report. Exit 0, or 2 on an error; a line that is not a record
//! is an error unless `--lenient` (then it is counted and the first few are printed).

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use palisade_analysis::flows::{Attributor, FlowConfig, FlowReport, Observation, Outcome};
use palisade_flowlog::{Format, LogStatus, Reader, Record};
use palisade_model::Snapshot;

use crate::output;

mod report;

/// How long `--endpoint` waits for the server's answer.
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);
/// Lines read and attributed at a time.
const BATCH: usize = 32;
/// Bad lines printed before the rest are only counted.
const SHOWN_ERRORS: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum OutputFormat {
    Table,
    Json,
    Sarif,
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["inputs", "endpoint"])))]
pub(crate) struct FlowsArgs {
    /// describe-* JSON file, or a directory of them (every *.json); repeatable.
    #[arg(short = 'i', long = "input")]
    inputs: Vec<PathBuf>,
    /// A running `palisade serve` whose live state the records are judged against.
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// The region --endpoint reads [default: AWS_REGION, else AWS_DEFAULT_REGION].
    #[arg(long, requires = "endpoint")]
    region: Option<String>,
    /// The records' fields, in AWS's LogFormat syntax (`${version} ${srcaddr} …`) or as
    /// bare names [default: the version-2 default format]. A header line overrides it.
    #[arg(long, value_name = "FORMAT")]
    log_format: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
    /// Print each record's outcome and rules as a JSON line instead of the report.
    #[arg(long)]
    records: bool,
    /// Count and skip lines that are not records instead of failing.
    #[arg(long)]
    lenient: bool,
    /// Seconds a connection is remembered after its last record (for telling replies).
    #[arg(long, default_value_t = 900)]
    horizon: u64,
    /// Log files, directories (searched recursively) or `-` for standard input.
    #[arg(required = true, value_name = "LOG")]
    logs: Vec<PathBuf>,
}

/// What was read besides the records the attributor saw.
#[derive(Debug, Default)]
pub(crate) struct ReadStats {
    pub(crate) files: u64,
    pub(crate) lines: u64,
    pub(crate) no_data: u64,
    pub(crate) skip_data: u64,
    /// Records without an interface, addresses, protocol or action.
    pub(crate) incomplete: u64,
    pub(crate) bad_lines: u64,
}

pub(crate) fn run(args: FlowsArgs) -> anyhow::Result<ExitCode> {
    let snapshot = match &args.endpoint {
        Some(endpoint) => {
            crate::remote::Remote::new(endpoint, args.region.as_deref(), FETCH_TIMEOUT)?
                .snapshot()?
        }
        None => crate::input::load_snapshot(&args.inputs)?,
    };
    let format = match &args.log_format {
        Some(spec) => Format::parse(spec).with_context(|| format!("--log-format {spec:?}"))?,
        None => Format::default(),
    };
    let files = log_files(&args.logs)?;
    let engine = palisade_engine::compile(&snapshot);
    let config = FlowConfig {
        horizon: args.horizon,
        ..FlowConfig::default()
    };
    let mut attributor = Attributor::new(&snapshot, &engine, config);
    let mut stats = ReadStats::default();
    for file in &files {
        stats.files += 1;
        let reader = open(file)?;
        read_file(file, reader, &format, &mut attributor, &mut stats, &args)?;
    }
    if stats.bad_lines > SHOWN_ERRORS as u64 {
        output::warn(&format!(
            "… and {} more lines that are not records",
            stats.bad_lines - SHOWN_ERRORS as u64
        ));
    }
    let report = attributor.finish();
    if !args.records {
        print_report(&snapshot, &report, &stats, args.format)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_report(
    snapshot: &Snapshot,
    report: &FlowReport,
    stats: &ReadStats,
    format: OutputFormat,
) -> anyhow::Result<()> {
    match format {
        OutputFormat::Table => output::text(&report::table(snapshot, report, stats)),
        OutputFormat::Json => output::line(
            &serde_json::to_string_pretty(&report::json(report, stats))
                .context("encoding the report")?,
        ),
        OutputFormat::Sarif => output::line(
            &serde_json::to_string_pretty(&report::sarif(report)).context("encoding SARIF")?,
        ),
    }
    Ok(())
}

/// Every log file under the arguments, in name order within each directory.
fn log_files(args: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for arg in args {
        if arg.as_os_str() == "-" {
            out.push(arg.clone());
        } else if arg.is_dir() {
            walk(arg, &mut out)?;
        } else if arg.exists() {
            out.push(arg.clone());
        } else {
            bail!("{}: no such file or directory", arg.display());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading directory {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("reading directory {}", dir.display()))?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            // The S3 export's objects end in .log.gz; plain exports in .log or .txt.
            if [".log", ".gz", ".txt"].iter().any(|s| name.ends_with(s)) {
                out.push(path);
            }
        }
    }
    Ok(())
}

/// A buffered reader of the file's text, gunzipped when it starts with gzip's magic.
fn open(path: &Path) -> anyhow::Result<Box<dyn BufRead>> {
    let raw: Box<dyn Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(File::open(path).with_context(|| format!("opening {}", path.display()))?)
    };
    let mut buffered = BufReader::with_capacity(1 << 16, raw);
    let magic = buffered
        .fill_buf()
        .with_context(|| format!("reading {}", path.display()))?;
    if magic.starts_with(&[0x1f, 0x8b]) {
        let gz = flate2::bufread::MultiGzDecoder::new(buffered);
        Ok(Box::new(BufReader::with_capacity(1 << 16, gz)))
    } else {
        Ok(Box::new(buffered))
    }
}

fn read_file(
    path: &Path,
    mut reader: Box<dyn BufRead>,
    format: &Format,
    attributor: &mut Attributor<'_>,
    stats: &mut ReadStats,
    args: &FlowsArgs,
) -> anyhow::Result<()> {
    let mut lines = Reader::new(format.clone());
    // Up to `BATCH` lines at a time, attributed together (`Attributor::observe_batch`).
    let mut text = String::new();
    loop {
        text.clear();
        let mut eof = false;
        for _ in 0..BATCH {
            let n = reader
                .read_line(&mut text)
                .with_context(|| format!("reading {}", path.display()))?;
            if n == 0 {
                eof = true;
                break;
            }
        }
        let mut batch = Vec::with_capacity(BATCH);
        let attribute = |batch: &[Observation<'_>], attributor: &mut Attributor<'_>| {
            attributor.observe_batch(batch, |i, outcome, attributor| {
                if args.records {
                    output::line(&report::record_line(path, &batch[i], outcome, attributor));
                }
            });
        };
        let mut record = Record::default();
        for line in text.split_inclusive('\n') {
            stats.lines += 1;
            let line = line.strip_suffix('\n').unwrap_or(line);
            match lines.read(line, &mut record) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    if !args.lenient {
                        // The records before it are attributed (and printed) first.
                        attribute(&batch, attributor);
                        bail!("{}: {e}", path.display());
                    }
                    stats.bad_lines += 1;
                    if stats.bad_lines <= SHOWN_ERRORS as u64 {
                        output::warn(&format!("{}: {e}", path.display()));
                    }
                    continue;
                }
            }
            match record.log_status {
                Some(LogStatus::NoData) => {
                    stats.no_data += 1;
                    continue;
                }
                Some(LogStatus::SkipData) => {
                    stats.skip_data += 1;
                    continue;
                }
                _ => {}
            }
            let Some(o) = Observation::from_record(&record) else {
                stats.incomplete += 1;
                continue;
            };
            batch.push(o);
        }
        attribute(&batch, attributor);
        if eof {
            return Ok(());
        }
    }
}

/// The outcome's name in `--records` and JSON.
pub(crate) fn outcome_name(o: Outcome) -> &'static str {
    match o {
        Outcome::Allowed { .. } => "allowed",
        Outcome::Reply { .. } => "reply",
        Outcome::Rejected => "rejected",
        Outcome::AcceptedWithoutRule => "accepted-without-rule",
        Outcome::RejectedButAllowed { .. } => "rejected-but-allowed",
        Outcome::UnknownInterface => "unknown-interface",
        Outcome::NotItsAddress => "not-its-address",
    }
}
