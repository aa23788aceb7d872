//! The Gazette release a dev cluster imitates, for the behaviours in which
//! real brokers differ by version (see README's table).

use std::fmt;
use std::str::FromStr;

/// A broker version the dev broker can speak.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    /// v0.89: List is a unary RPC (one message, no watch), no
    /// `create_revision` in listings, `ReadRequest.begin_mod_time` ignored.
    V0_89,
    /// v0.99: List still unary (one message, no watch), no
    /// FragmentStoreHealth and no `:prefix` selectors (the `prefix`
    /// meta-label matches name prefixes); listings carry `create_revision`.
    V0_99,
    /// The current release: everything.
    #[default]
    Current,
}

impl Version {
    /// Does the broker serve the FragmentStoreHealth RPC (v0.100+)?
    pub fn has_store_health(self) -> bool {
        self >= Version::Current
    }

    /// Does a selector label's `prefix` flag mean a prefix match (v0.100+)?
    /// Older brokers don't know the field and compare values exactly.
    pub fn has_prefix_selectors(self) -> bool {
        self >= Version::Current
    }

    /// Is List a server stream with chunks and watches (v0.100+)? Older
    /// brokers answer it as a unary RPC: one message holding every journal.
    pub fn has_streamed_list(self) -> bool {
        self >= Version::Current
    }

    /// Do listings carry `create_revision` and do reads honour
    /// `begin_mod_time` (both after v0.89)?
    pub fn has_create_revision_and_read_mod_time(self) -> bool {
        self >= Version::V0_99
    }
}

impl FromStr for Version {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "v0.89" | "0.89" => Ok(Version::V0_89),
            "v0.99" | "0.99" => Ok(Version::V0_99),
            "current" | "" => Ok(Version::Current),
            other => Err(format!(
                "unknown broker version {other:?} (expected v0.89, v0.99 or current)"
            )),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Version::V0_89 => "v0.89",
            Version::V0_99 => "v0.99",
            Version::Current => "current",
        })
    }
}

/// The table `--help` and README show.
pub const TABLE: &str = "\
Broker versions (--version):
  behaviour                         v0.89      v0.99      current
  FragmentStoreHealth RPC           UNIMPL.    UNIMPL.    yes
  selector label prefix (:prefix)   exact      exact      prefix match
  List                              1 message  1 message  stream
  List watch                        no         no         yes
  listing create_revision           0          yes        yes
  ReadRequest.begin_mod_time        ignored    yes        yes";
