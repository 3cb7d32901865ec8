//! Why an input could not be loaded, and what the user can do about it.

use std::path::{Path, PathBuf};

/// Why one input could not be loaded. Other inputs are unaffected.
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {problem}", path.display(), position.map(|(l, c)| format!(":{l}:{c}")).unwrap_or_default())]
pub struct LoadError {
    /// The input, as the user named it.
    pub path: PathBuf,
    /// 1-based line and column where the text breaks, when that is known.
    pub position: Option<(usize, usize)>,
    /// What is wrong.
    pub problem: Problem,
}

impl LoadError {
    /// An error of the whole input.
    pub fn new(path: &Path, problem: Problem) -> Self {
        LoadError {
            path: path.to_owned(),
            position: None,
            problem,
        }
    }

    pub(super) fn at(path: &Path, line: usize, column: usize, problem: Problem) -> Self {
        LoadError {
            path: path.to_owned(),
            position: Some((line, column)),
            problem,
        }
    }

    /// What the user can do about it.
    pub fn help(&self) -> Option<&'static str> {
        match &self.problem {
            Problem::NoInputs => Some(
                "check the path; payplat reads *.tf, *.tf.json (and OpenTofu's *.tofu, *.tofu.json), \
                 cdk.tf.json (cdktf.out/) and plans saved with `terraform show -json tfplan > plan.json`",
            ),
            Problem::Empty => Some(
                "write the plan with `terraform show -json tfplan > plan.json`, or run `cdktf synth`",
            ),
            Problem::Truncated(_) => {
                Some("the file ends early: was it cut off while being written or copied?")
            }
            Problem::WrapperOutput => Some(
                "hashicorp/setup-terraform's wrapper adds its own lines to the output; set \
                 `terraform_wrapper: false`, or write the plan with `terraform show -json tfplan > plan.json`",
            ),
            Problem::NativeSyntax => {
                Some("name files of Terraform's native syntax `.tf`: payplat reads them as HCL")
            }
            Problem::Hcl(message) if message.contains("nest more than") => {
                Some("Terraform configurations nest far less deeply; this is not one")
            }
            Problem::Hcl(_) => Some("fix the syntax there; `terraform validate` points at it too"),
            Problem::TooDeep(_) => {
                Some("Terraform documents nest far less deeply; this is not one")
            }
            Problem::NotTerraform(_) | Problem::NotObject(_) => Some(
                "payplat reads `terraform show -json` plans and states, `*.tf.json` and CDKTF `cdk.tf.json`",
            ),
            Problem::Malformed { .. } => {
                Some("was the file edited by hand or written by an unfamiliar tool?")
            }
            _ => None,
        }
    }
}

/// What is wrong with an input.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    /// A directory with no Terraform input in it: a mistyped path must never pass a gate.
    #[error(
        "no Terraform inputs under this directory (no *.tf, *.tf.json or .tofu files, and no JSON written by `terraform show -json`)"
    )]
    NoInputs,
    /// The file cannot be read.
    #[error("cannot read: {0}")]
    Read(std::io::Error),
    /// Not a file (a directory, a device).
    #[error("not a regular file")]
    NotAFile,
    /// No text at all.
    #[error("the file is empty")]
    Empty,
    /// A byte that is not UTF-8.
    #[error("not valid UTF-8: byte 0x{byte:02x} cannot start or continue a character")]
    InvalidUtf8 {
        /// The first bad byte.
        byte: u8,
    },
    /// UTF-16 that does not decode.
    #[error("not valid UTF-16: {0}")]
    InvalidUtf16(&'static str),
    /// The JSON ends early.
    #[error("the JSON is truncated: {0}")]
    Truncated(String),
    /// The text of setup-terraform's wrapper, not JSON.
    #[error("not JSON: the text starts with `[command]`, the output of setup-terraform's wrapper")]
    WrapperOutput,
    /// Terraform's native syntax saved as JSON.
    #[error("not JSON: this is Terraform's native (HCL) syntax")]
    NativeSyntax,
    /// Text that is not JSON.
    #[error("not JSON: {0}")]
    NotJson(String),
    /// A `payplat:ignore` comment that says too little.
    #[error("{0}")]
    IgnoreComment(String),
    /// Terraform's native syntax that does not parse.
    #[error("not valid Terraform (HCL): {0}")]
    Hcl(String),
    /// Nesting beyond serde_json's limit.
    #[error("the JSON nests too deeply: {0}")]
    TooDeep(String),
    /// Broken JSON.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// JSON whose top level is not an object.
    #[error("the top level is {0}, not an object")]
    NotObject(&'static str),
    /// An object that is no Terraform document.
    #[error(
        "not a Terraform document: it is not a plan or state, and none of its top-level keys ({0}) is a Terraform block"
    )]
    NotTerraform(String),
    /// A variable file (`terraform.tfvars`, `*.auto.tfvars.json`) that cannot be read.
    #[error("cannot read the variable values: {0}")]
    Variables(String),
    /// A Terraform document with a member of the wrong shape.
    #[error("{pointer}: {message}")]
    Malformed {
        /// Where, in the file.
        pointer: String,
        /// What is wrong.
        message: String,
    },
}

impl Problem {
    pub(crate) fn malformed(pointer: &str, message: impl Into<String>) -> Self {
        Problem::Malformed {
            pointer: if pointer.is_empty() {
                "/".to_owned()
            } else {
                pointer.to_owned()
            },
            message: message.into(),
        }
    }
}
