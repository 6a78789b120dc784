//! The rubric file as written: serde types that mirror the TOML one to one.
//!
//! Every table denies unknown keys, so a misspelt key is an error instead of a silently ignored
//! setting. Values that need checking after parsing are `Spanned`, so that the check can point at
//! the line and column of the offending value. Nothing here is trusted yet; [`super::validate`]
//! turns these types into a [`super::Rubric`].

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use toml::Spanned;

/// `[exercise]`: which exercise package the rubric grades and which files a submission provides.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ExerciseWire {
    pub(crate) name: Spanned<String>,
    pub(crate) package: Spanned<String>,
    pub(crate) files: Spanned<Vec<Spanned<String>>>,
}

/// `[build]`: how the assembled submission is compiled.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct BuildWire {
    pub(crate) profile: Option<Spanned<String>>,
    pub(crate) timeout: Option<Spanned<String>>,
    pub(crate) points: Option<Spanned<i64>>,
}

/// Declares [`LimitsWire`] and [`CheckWire`] from the limit keys, written once below: a
/// `[[check]]` takes every key of `[limits]`, so that a new limit is a key of both, and
/// [`CheckWire::limits`] reads them all. The keys stand in `CheckWire` after `scoring`, in this
/// order, because serde lists a table's keys in field order, and the "expected one of" help of
/// a misspelt key (see [`super::unknown`]) shows that list.
macro_rules! with_limit_keys {
    ($($key:ident: $value:ty,)*) => {
        /// `[limits]`: defaults for every case of every check.
        #[derive(Debug, Deserialize, Default)]
        #[serde(deny_unknown_fields, rename_all = "kebab-case")]
        pub(crate) struct LimitsWire {
            $(pub(crate) $key: Option<Spanned<$value>>,)*
        }

        /// One `[[check]]`.
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields, rename_all = "kebab-case")]
        pub(crate) struct CheckWire {
            pub(crate) id: Spanned<String>,
            pub(crate) title: String,
            pub(crate) points: Spanned<i64>,
            pub(crate) run: Option<Spanned<String>>,
            #[serde(default)]
            pub(crate) args: Vec<Spanned<String>>,
            #[serde(default)]
            pub(crate) env: BTreeMap<String, Spanned<String>>,
            #[serde(default)]
            pub(crate) cases: Option<Spanned<CasesWire>>,
            pub(crate) scoring: Option<Spanned<String>>,
            $(pub(crate) $key: Option<Spanned<$value>>,)*
            #[serde(default)]
            pub(crate) needs: Vec<Spanned<String>>,
            pub(crate) expect: Option<Spanned<ExpectWire>>,
            #[serde(default)]
            pub(crate) stdout: Vec<Spanned<MatcherWire>>,
            #[serde(default)]
            pub(crate) stderr: Vec<Spanned<MatcherWire>>,
            #[serde(default)]
            pub(crate) compare: Vec<Spanned<CompareWire>>,
            pub(crate) census: Option<Spanned<CensusWire>>,
            pub(crate) expect_child: Option<Spanned<ExpectWire>>,
            pub(crate) repeat: Option<Spanned<i64>>,
            pub(crate) perturb: Option<Spanned<bool>>,
            pub(crate) perturb_max_delay: Option<Spanned<String>>,
            pub(crate) start_together: Option<Spanned<bool>>,
            pub(crate) separate_cores: Option<Spanned<bool>>,
            pub(crate) hold_until_waited: Option<Spanned<String>>,
            pub(crate) fault: Option<Spanned<FaultWire>>,
            pub(crate) syscalls: Option<Spanned<SyscallsWire>>,
            pub(crate) short_reads: Option<Spanned<bool>>,
            #[serde(default)]
            pub(crate) parallelism: bool,
            pub(crate) parallelism_time: Option<Spanned<String>>,
            pub(crate) visibility: Option<Spanned<String>>,
            pub(crate) details: Option<Spanned<String>>,
            pub(crate) test: Option<Spanned<TestWire>>,
            pub(crate) clippy: Option<Spanned<ClippyWire>>,
            pub(crate) rustfmt: Option<Spanned<bool>>,
        }

        impl CheckWire {
            /// The check's own limit keys, as they would be written in `[limits]`.
            pub(crate) fn limits(&self) -> LimitsWire {
                LimitsWire {
                    $($key: self.$key.clone(),)*
                }
            }
        }
    };
}

with_limit_keys! {
    timeout: String,
    output_bytes: i64,
    cpu_time: String,
    memory: i64,
    tasks: i64,
    file_size: i64,
    open_files: i64,
    isolate: bool,
}

/// `clippy = { lints = ["needless_range_loop"], points-per-finding = 1 }`: a style check.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ClippyWire {
    pub(crate) lints: Spanned<Vec<Spanned<String>>>,
    pub(crate) points_per_finding: Option<Spanned<i64>>,
}

/// One `[[ratio]]`: a figure of some checks' runs over the same figure of another check's runs,
/// all measured in the same grading.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RatioWire {
    pub(crate) id: Spanned<String>,
    pub(crate) title: String,
    pub(crate) points: Option<Spanned<i64>>,
    pub(crate) figure: Option<Spanned<String>>,
    pub(crate) capture: Option<Spanned<String>>,
    pub(crate) of: Spanned<Vec<Spanned<String>>>,
    pub(crate) over: Spanned<String>,
    pub(crate) at_most: Option<Spanned<f64>>,
    pub(crate) at_least: Option<Spanned<f64>>,
}

/// `test = { file = "hidden-tests/x.rs", name = "negates_outside" }`: the check runs one test of a
/// test file kept beside the rubric, compiled into the check's program.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct TestWire {
    pub(crate) file: Spanned<String>,
    pub(crate) name: Spanned<String>,
}

/// `census = { threads = "{workers}", processes = 0, reaped = true }`: what the tracer must
/// count.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct CensusWire {
    pub(crate) threads: Option<Spanned<ScalarWire>>,
    pub(crate) processes: Option<Spanned<ScalarWire>>,
    pub(crate) children: Option<Spanned<ScalarWire>>,
    pub(crate) reaped: Option<Spanned<bool>>,
    pub(crate) overlap: Option<Spanned<bool>>,
    pub(crate) stacks: Option<Spanned<ScalarWire>>,
    pub(crate) printed_stacks: Option<Spanned<bool>>,
    pub(crate) sleeps: Option<Spanned<bool>>,
    pub(crate) closed_ends: Option<Spanned<bool>>,
    pub(crate) ipc_removed: Option<Spanned<bool>>,
}

/// `syscalls = { require = ["socketpair(SOCK_SEQPACKET|SOCK_DGRAM)"], forbid = ["pipe"] }`:
/// system calls the program must make at least once, and must never make.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct SyscallsWire {
    #[serde(default)]
    pub(crate) require: Vec<Spanned<String>>,
    #[serde(default)]
    pub(crate) forbid: Vec<Spanned<String>>,
    /// Calls made once per message of the IPC exercises (or once more, to end the series).
    #[serde(default)]
    pub(crate) per_message: Vec<Spanned<String>>,
}

/// `fault = { worker-count = "{workers}", signals = ["SIGSEGV"], exit-codes = [3] }`: the fault
/// injected in one worker of every run.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct FaultWire {
    pub(crate) worker_count: Spanned<ScalarWire>,
    #[serde(default)]
    pub(crate) signals: Vec<Spanned<String>>,
    #[serde(default)]
    pub(crate) exit_codes: Vec<Spanned<i64>>,
}

/// `cases = { workers = [1, 2, 4] }`: each variable with its values.
pub(crate) type CasesWire = BTreeMap<String, Spanned<Vec<Spanned<ScalarWire>>>>;

/// `expect = { exit = 0 }`, `{ exit = "nonzero" }` or `{ signal = "SIGSEGV" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ExpectWire {
    pub(crate) exit: Option<Spanned<ScalarWire>>,
    pub(crate) signal: Option<Spanned<String>>,
}

/// One matcher on stdout or stderr; exactly one key must be set.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct MatcherWire {
    pub(crate) regex: Option<Spanned<String>>,
    pub(crate) contains: Option<Spanned<String>>,
    pub(crate) line: Option<Spanned<String>>,
    pub(crate) line_with: Option<Spanned<Vec<Spanned<String>>>>,
    pub(crate) sequences: Option<Spanned<SequencesWire>>,
    pub(crate) byte_count: Option<Spanned<String>>,
    pub(crate) counted_lines: Option<Spanned<String>>,
    pub(crate) only_lines: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub(crate) absent: bool,
}

/// `sequences = [["a", "b"], ["c"]]` (lines written in the rubric) or `sequences =
/// "async-messages"` (the lines of an oracle).
#[derive(Debug)]
pub(crate) enum SequencesWire {
    Written(Vec<Vec<String>>),
    Oracle(String),
}

impl<'de> Deserialize<'de> for SequencesWire {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SequencesVisitor;

        impl<'de> Visitor<'de> for SequencesVisitor {
            type Value = SequencesWire;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of arrays of lines, or the name of an oracle")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<SequencesWire, E> {
                Ok(SequencesWire::Oracle(value.to_owned()))
            }

            fn visit_seq<A: de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<SequencesWire, A::Error> {
                let mut sequences = Vec::new();
                while let Some(sequence) = seq.next_element::<Vec<String>>()? {
                    sequences.push(sequence);
                }
                Ok(SequencesWire::Written(sequences))
            }
        }

        deserializer.deserialize_any(SequencesVisitor)
    }
}

/// One comparison: a value taken from the output and what it must equal.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct CompareWire {
    pub(crate) capture: Option<Spanned<String>>,
    pub(crate) numbers: Option<Spanned<String>>,
    pub(crate) oracle: Option<Spanned<String>>,
    pub(crate) equals: Option<Spanned<ScalarWire>>,
    pub(crate) signal: Option<Spanned<String>>,
}

/// A value written as a TOML integer or string (`exit = 0`, `exit = "nonzero"`, `workers = [1]`).
///
/// Deserialized by hand rather than with `#[serde(untagged)]`, whose errors lose the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ScalarWire {
    Integer(i64),
    Text(String),
}

impl fmt::Display for ScalarWire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Integer(value) => write!(f, "{value}"),
            Self::Text(value) => f.write_str(value),
        }
    }
}

impl<'de> Deserialize<'de> for ScalarWire {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;

        impl Visitor<'_> for ScalarVisitor {
            type Value = ScalarWire;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer or a string")
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<ScalarWire, E> {
                Ok(ScalarWire::Integer(value))
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<ScalarWire, E> {
                i64::try_from(value)
                    .map(ScalarWire::Integer)
                    .map_err(|_| E::custom("integer too large"))
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<ScalarWire, E> {
                Ok(ScalarWire::Text(value.to_owned()))
            }
        }

        deserializer.deserialize_any(ScalarVisitor)
    }
}
