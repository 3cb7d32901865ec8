//! payplat: policy and compliance checks for synthesized Terraform.
//!
//! Modules by layer, lowest first; a module imports only from its own layer or below
//! (`tests/layers.rs` keeps it so). docs/development.md's layout says the same, one line each.
//!
//! | layer | modules |
//! |---|---|
//! | text helpers | [`pointer`], [`locate`], [`expr`], [`text`] |
//! | the resource model | [`model`] |
//! | reading inputs | [`load`], [`generate`] |
//! | finding inputs | [`discover`], [`inspect`] |
//! | Terraform's semantics | [`resolve`] |
//! | what checking produces | [`finding`] |
//! | rules and their engine | [`rules`] |
//! | the user's word | [`config`], then [`triage`] |
//! | output | [`report`] |
//! | one check, end to end | [`check`], [`expect`] (rule tests) |
//! | fixing what fails, on top of a check | [`fix`] |
//! | the editor's language server, on top of check and fix | [`lsp`] |
//!
//! The command line (`src/cli/`, in the binary) sits on top; the library prints nothing.

#![warn(missing_docs)]

pub mod check;
pub mod config;
pub mod discover;
pub mod expect;
pub mod expr;
pub mod finding;
pub mod fix;
pub mod generate;
pub mod inspect;
pub mod load;
pub mod locate;
pub mod lsp;
pub mod model;
pub mod pointer;
pub mod report;
pub mod resolve;
pub mod rules;
pub mod text;
pub mod triage;
